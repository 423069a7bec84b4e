"""Probe factory for the four DNS-format protocols: one parser, one flavour rule."""
from __future__ import annotations

from .base import MORE, NO, match
from . import _dnswire as w


def _messages(view):
    """DNS messages of the flow: one per datagram (UDP) or length-prefixed (TCP)."""
    if view.transport == "udp":
        for _d, dg in ((0, x) for x in view.datagrams_c2s):
            yield dg
        for dg in view.datagrams_s2c:
            yield dg
        return
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if len(data) < 2:
            yield b""  # too short: parse() says MORE_NEEDED
            continue
        n = int.from_bytes(data[:2], "big")
        if n < 12:
            yield None  # a length prefix below the DNS header size is not DNS over TCP
            continue
        yield data[2:2 + n]


def _parse_all(view):
    """(flavour, chosen message, all messages, more) for the flow, or None (not DNS)."""
    found = None
    msgs = []
    more = False
    flav = None
    for msg in _messages(view):
        if msg is None:
            return None
        m = w.parse(msg)
        if m is None:
            return None
        if m == w.MORE_NEEDED:
            more = True
            continue
        f = w.flavour(m)
        if flav is not None and f != flav:
            return None              # one flow speaks one flavour
        flav = f
        msgs.append(m)
        if found is None or (found.response and not m.response):
            found = m
    return flav, found, msgs, more


def make_probe(name: str, conf: float):
    def probe(view, state):
        # The four DNS-format detectors share one parse per flow (and budget view).
        key = ("_dnswire", id(view))
        r = state.get(key)
        if r is None:
            r = state[key] = (view, _parse_all(view))   # keep view alive: id stays unique
        r = r[1]
        if r is None:
            return NO
        flav, found, msgs, more = r
        if found is None:
            return MORE if more else NO
        if flav != name:
            return NO
        # A query and a response with the same id, both well formed: certain.
        # A query and a response with the same id, or messages whose every section
        # parses to exactly the end: certain.
        paired = all(m.exact for m in msgs) or \
            any(a.response != b.response and a.txid == b.txid for a in msgs for b in msgs)
        meta = w.describe(found)
        if name == "netbios-ns" and found.raw_labels:
            meta["qname"] = w.decode_netbios(found.raw_labels[0])
        return match(name, 1.0 if paired else conf, **meta)
    probe.__name__ = f"probe_{name.replace('-', '_')}"
    return probe
