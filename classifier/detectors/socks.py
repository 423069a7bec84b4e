"""SOCKS 4/4a (no RFC; the NEC spec) and SOCKS 5 (RFC 1928).
SOCKS5: greeting ``05 n methods[n]`` (exactly 2+n bytes), reply ``05 method``.
SOCKS4: ``04 cmd port(2) ip(4) userid NUL [host NUL]``, reply ``00 5A-5D``.
Metadata: version, target (SOCKS4/5 request when visible).
"""
from __future__ import annotations

import socket

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

METHODS = frozenset((0, 1, 2, 3, 5, 6, 7, 8, 9)) | frozenset(range(0x80, 0xFF))


def _v5(c: bytes, s: bytes):
    if len(c) < 2:
        return MORE
    n = c[1]
    if n == 0 or n > 16:
        return NO                         # clients offer one to a few methods
    if len(c) < 2 + n:
        return MORE
    if not all(m in METHODS for m in c[2:2 + n]):
        return NO                         # only IANA-assigned or private method numbers
    if len(c) > 2 + n and c[2 + n] != 5:
        # After the greeting the client may pipeline its request, which starts with 05.
        return NO
    if not s:
        return MORE if len(c) == 2 + n else claim("socks", 0.8, version=5)
    if len(s) < 2:
        return MORE
    if s[0] != 5 or (s[1] not in c[2:2 + n] and s[1] != 0xFF):
        return NO                          # the server picks one of the offered methods
    meta = {"version": 5}
    req = c[2 + n:]
    if len(req) >= 5 and req[0] == 5 and req[2] == 0 and req[3] == 3:
        meta["target"] = dec(req[5:5 + req[4]])
    return claim("socks", 1.0, **meta)


def _v4(c: bytes, s: bytes):
    if len(c) < 9:
        return MORE if len(c) < 2 or c[1] in (1, 2) else NO
    if c[1] not in (1, 2):
        return NO                         # SOCKS4 commands: CONNECT (1) and BIND (2)
    end = c.find(b"\x00", 8)
    if end < 0:
        return MORE if len(c) < 256 else NO
    ip = c[4:8]
    target = socket.inet_ntoa(ip)
    if ip[:3] == b"\x00\x00\x00" and ip[3]:
        end2 = c.find(b"\x00", end + 1)
        if end2 < 0:
            return MORE
        target = dec(c[end + 1:end2])
    if s:
        if len(s) < 2:
            return MORE
        if s[0] != 0 or s[1] not in (0x5A, 0x5B, 0x5C, 0x5D):
            return NO                     # replies are 0x00 then a status 90-93
        return claim("socks", 1.0, version=4, target=target)
    # The request alone (no reply seen: a one-sided or late view): it must read as one.
    # The destination is an address a client can ask for (not 0.0.0.0/8 but SOCKS4a's
    # 0.0.0.x), the port is not 0, and the user id is text; a TDS packet (04 01 ...)
    # from a server seen alone otherwise passes for a request.
    if (ip[0] == 0 and ip[:3] != b"\x00\x00\x00") or c[2:4] == b"\x00\x00" \
            or any(b < 0x20 or b > 0x7e for b in c[8:end]):
        return NO
    return claim("socks", 0.8, version=4, target=target)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return MORE if s[:1] in (b"\x05", b"\x00") else NO
    if c[0] == 5:
        return _v5(c, s)
    if c[0] == 4:
        return _v4(c, s)
    return NO                             # the client's first byte is the version, 4 or 5


SPEC = DetectorSpec(name="socks", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((4, 5))))
