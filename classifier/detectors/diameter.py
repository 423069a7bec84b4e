"""Diameter base protocol (RFC 6733 3, 4.1): every message is a 20-byte header, version 1,
a 3-byte message length (a multiple of 4, the whole message), the flags (R P E T, the
low four bits 0), a 3-byte command code, the application id, hop-by-hop and end-to-end
identifiers; then AVPs, each a code, flags (V M P, the low five bits 0), a 3-byte length
(>= 8, or 12 with a vendor id), the data padded to 4 bytes, tiling the message.  Peers
open with a Capabilities-Exchange-Request (257) and answer with the Answer.
Metadata: command (name or number), request (bool).
"""
from __future__ import annotations

import struct

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

COMMANDS = {257: "Capabilities-Exchange", 258: "Re-Auth", 271: "Accounting", 272: "Credit-Control",
            274: "Abort-Session", 275: "Session-Termination", 280: "Device-Watchdog",
            282: "Disconnect-Peer", 316: "Update-Location", 318: "Authentication-Information"}


def _message(d: bytes):
    if len(d) < 20:
        if d[0] != 1:
            return None
        return MORE
    word0, word1 = struct.unpack_from(">II", d, 0)
    ver, n = word0 >> 24, word0 & 0xffffff
    flags, code = word1 >> 24, word1 & 0xffffff
    if ver != 1 or n < 20 or n % 4 or n > 1 << 20 or flags & 0x0f or code == 0:
        return None
    body = d[20:n]
    off = 0
    while off + 8 <= len(body):
        _code, w = struct.unpack_from(">II", body, off)
        aflags, alen = w >> 24, w & 0xffffff
        if aflags & 0x1f or alen < (12 if aflags & 0x80 else 8):
            return None
        off += (alen + 3) & ~3
    if len(d) >= n and off != len(body):
        return None                          # the AVPs tile a complete message
    return {"command": COMMANDS.get(code, str(code)), "request": bool(flags & 0x80)}


def probe(view, state):
    meta = _units.each_stream(view, _message)
    if meta is MORE or meta is NO:
        return meta
    return claim("diameter", 0.95, **meta)


SPEC = DetectorSpec(name="diameter", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({1}), s2c=frozenset({1})),
                    max_confidence=0.95)
