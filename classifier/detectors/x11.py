"""X11 (X Window System Protocol, X Consortium, "Connection Setup"): the client opens
with its byte order ("B" 0x42 MSB first, "l" 0x6C LSB first), an unused byte, protocol
major version 11 and minor 0, the lengths of the authorization protocol name and data,
two unused bytes, then the name and the data each padded to 4 bytes: the setup is
exactly that long.  The server answers Failed (0), Success (1) or Authenticate (2);
Failed and Success repeat the protocol version (11), and every answer gives the length
of what follows in 4-byte units.
Metadata: byte_order, auth (the authorization protocol name), result.
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

RESULTS = {0: "failed", 1: "success", 2: "authenticate"}


def _pad(n: int) -> int:
    return (n + 3) & ~3


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE
    if c[0] not in (0x42, 0x6C) or (len(c) > 1 and c[1] != 0):
        return NO
    if len(c) < 12:
        return MORE
    e = ">" if c[0] == 0x42 else "<"
    major, minor, n, d = struct.unpack_from(e + "HHHH", c, 2)
    if major != 11 or minor != 0 or n > 64 or d > 1024:
        return NO
    size = 12 + _pad(n) + _pad(d)
    if len(c) < size:
        return MORE
    name = c[12:12 + n]
    if any(ch < 0x20 or ch > 0x7e for ch in name):
        return NO                            # e.g. "MIT-MAGIC-COOKIE-1"
    meta = {"byte_order": "msb" if e == ">" else "lsb", "auth": dec(name) or None}
    if not s:
        # the server answers a complete setup; requests only follow a successful one
        return claim("x11", 0.85, **meta) if len(c) == size else NO
    if len(s) < 8:
        return MORE if s[0] in RESULTS else NO
    r = s[0]
    if r not in RESULTS:
        return NO
    if r in (0, 1) and struct.unpack_from(e + "H", s, 2)[0] != 11:
        return NO
    meta["result"] = RESULTS[r]
    return claim("x11", 0.95, **meta)


SPEC = DetectorSpec(name="x11", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0x42, 0x6C})),
                    max_confidence=0.95)
