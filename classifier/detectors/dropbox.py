"""Dropbox LAN sync discovery (db-lsp-disc, IANA 17500/udp): the desktop client
broadcasts a JSON object announcing itself to other clients on the LAN, e.g.
{"host_int": 676879976, "version": [1, 8], "displayname": "...", "port": 17500,
"namespaces": [...]} (Wireshark's packet-db-lsp.c dissects it as JSON).  No answer
is expected: a flow is usually one side's repeated broadcasts.

This detector parses each datagram as one JSON object and requires the announcement's
own keys with their types: an integer "host_int", a list "version", a list
"namespaces" and an integer "port".  Four named, typed keys in a JSON object are far
more than a JSON datagram of another protocol carries by chance (0.95; the row sits
before coap's, whose header rules a datagram starting with "{" can satisfy).  The TCP
side (db-lsp) runs inside TLS and is left to `tls`.
Metadata: version ("2.0"), port (the announced sync port), displayname.
"""
from __future__ import annotations

import json

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

KEYS = (("host_int", int), ("version", list), ("namespaces", list), ("port", int))


def _announcement(dg: bytes):
    """The announcement dict, MORE when dg is a cut-short prefix of a JSON object,
    None otherwise."""
    if dg[:1] != b"{":
        return None
    try:
        text = dg.decode("utf-8")
    except UnicodeDecodeError as e:
        return MORE if e.reason == "unexpected end of data" else None   # a cut last character only
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        # a datagram cut short (snap length) has lost its closing brace; a whole one
        # that still fails to parse is not JSON
        return None if text.rstrip().endswith("}") else MORE
    if not isinstance(obj, dict):
        return None
    for key, kind in KEYS:
        value = obj.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return None
    return obj


def probe(view, state):
    found = None
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for dg in dgs:
            if not dg:
                continue
            r = _announcement(dg)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            found = found or r
    if found is None:
        return MORE
    version = ".".join(str(v) for v in found["version"][:4] if isinstance(v, int)) or None
    name = found.get("displayname")
    return claim("dropbox", 0.95, version=version, port=found["port"],
                 displayname=dec(name.encode("utf-8", "replace"), 64) if isinstance(name, str) and name else None)


SPEC = DetectorSpec(name="dropbox", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"{"), s2c=frozenset(b"{")),
                    max_confidence=0.95)
