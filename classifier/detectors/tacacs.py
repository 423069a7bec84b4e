"""TACACS+ (RFC 8907 4.1): every packet is a 12-byte header, major version 0xc with
minor 0 or 1, type (1 authentication, 2 authorization, 3 accounting), seq_no (the
client's packets odd from 1, the server's even), flags (only UNENCRYPTED 0x01 and
SINGLE_CONNECT 0x04 defined), the session id (the same both ways) and the body length;
the body (usually obfuscated) follows.  A client's first packet has seq_no 1; the
server's answer seq_no 2 and the same session id and type.
Metadata: type, obfuscated.
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

TYPES = {1: "authentication", 2: "authorization", 3: "accounting"}


def _header(d: bytes, seq: int):
    if len(d) < 12:
        if d[0] not in (0xc0, 0xc1) or (len(d) > 1 and d[1] not in TYPES) or (len(d) > 2 and d[2] != seq):
            return None
        return MORE
    ver, t, s, flags, session, n = struct.unpack_from(">BBBBII", d, 0)
    if ver not in (0xc0, 0xc1) or t not in TYPES or s != seq or flags & ~0x05 or n == 0 or n > 1 << 16:
        return None
    if len(d) > 12 + n:
        return None                          # the other side answers before a second packet
    return t, flags, session


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE
    hc = _header(c, 1)
    if hc is None or hc is MORE:
        return NO if hc is None else MORE
    if not s:
        return MORE                          # a 12-byte header alone: wait for the answer
    hs = _header(s, 2)
    if hs is None:
        return NO
    if hs is MORE:
        return MORE
    if hs[0] != hc[0] or hs[2] != hc[2]:
        return NO                            # one session, one type
    return claim("tacacs", 0.9, type=TYPES[hc[0]], obfuscated=not hc[1] & 0x01)


SPEC = DetectorSpec(name="tacacs", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset({0xc0, 0xc1}), s2c=frozenset({0xc0, 0xc1})),
                    max_confidence=0.9)
