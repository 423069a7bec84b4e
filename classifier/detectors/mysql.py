"""MySQL / MariaDB client-server protocol: the server speaks first with a packet
(3-byte little-endian length, sequence id 0) holding protocol version 10 and a
NUL-terminated server version, or an ERR packet (0xFF) when the host is refused.
Metadata: server_version.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec


def greeting(s: bytes):
    if len(s) < 5:
        return MORE if len(s) < 4 or s[3] == 0 else None
    n = int.from_bytes(s[0:3], "little")
    if s[3] != 0 or n < 3 or n > 1024:
        return None                        # the greeting is packet 0 and small
    if s[4] == 0xFF:
        # ERR instead of a greeting (e.g. "Host is not allowed"): error code (2 LE) in
        # the server's range, then the message; the packet must be complete.
        if len(s) < 4 + n:
            return MORE
        code = int.from_bytes(s[5:7], "little")
        return {"error": code} if 1000 <= code < 5000 else None
    if s[4] != 10:
        return None
    end = s.find(b"\x00", 5, 4 + n)
    if end < 0:
        return MORE if len(s) < 4 + n else None
    ver = s[5:end]
    # Server versions look like "5.7.33-log", "8.0.36", "10.11.6-MariaDB".
    if not ver[:1].isdigit() or b"." not in ver:
        return None
    return {"server_version": dec(ver)}


def probe(view, state):
    s = view.payload_s2c
    if not s:
        return MORE if view.payload_c2s[3:4] in (b"\x01", b"") else NO
    r = greeting(s)
    if r is None:
        return NO
    if r is MORE:
        return MORE
    return claim("mysql", 1.0, **r)


SPEC = DetectorSpec(name="mysql", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(s2c=frozenset(range(0x10, 0x80))),
                    # the server's greeting: packet 0 of 3-1024 bytes, protocol 10 and a version
                    # opening with a digit, or an ERR packet (0xff)
                    tcp_gate=Gate(s2c_only=True, min_len=6, bytes=((1, 0xFF, 0, 4), (2, 0xFF, 0, 0), (3, 0xFF, 0, 0)),
                                  forms=(((4, 0xFF, 10, 10), (5, 0xFF, 0x30, 0x39)), ((4, 0xFF, 0xFF, 0xFF),))))
