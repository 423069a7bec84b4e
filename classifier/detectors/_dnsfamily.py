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


def make_probe(name: str, conf: float):
    def probe(view, state):
        found = None
        more = False
        for msg in _messages(view):
            if msg is None:
                return NO
            m = w.parse(msg)
            if m is None:
                return NO
            if m == w.MORE_NEEDED:
                more = True
                continue
            if w.flavour(m) != name:
                return NO
            if found is None or (found.response and not m.response):
                found = m
        if found is None:
            return MORE if more else NO
        meta = w.describe(found)
        if name == "netbios-ns" and found.raw_labels:
            meta["qname"] = w.decode_netbios(found.raw_labels[0])
        return match(name, conf, **meta)
    probe.__name__ = f"probe_{name.replace('-', '_')}"
    return probe
