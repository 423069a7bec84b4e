"""FastCGI 1.0 (the FastCGI Specification, Open Market 1996, 3.3 and 5-6): every record
is an 8-byte header, version 1, type 1-11 (BEGIN_REQUEST 1, ABORT_REQUEST 2,
END_REQUEST 3, PARAMS 4, STDIN 5, STDOUT 6, STDERR 7, DATA 8, GET_VALUES 9,
GET_VALUES_RESULT 10, UNKNOWN_TYPE 11), request id, content length, padding length and
a reserved byte, then the content and the padding; records follow each other exactly.
The web server opens with BEGIN_REQUEST (an 8-byte body: role 1-3, flags, five zero
bytes) or GET_VALUES (request id 0); the application answers with STDOUT / STDERR /
END_REQUEST / GET_VALUES_RESULT.
Metadata: role, records (types of the web server's records seen).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

TYPES = {1: "BEGIN_REQUEST", 2: "ABORT_REQUEST", 3: "END_REQUEST", 4: "PARAMS", 5: "STDIN",
         6: "STDOUT", 7: "STDERR", 8: "DATA", 9: "GET_VALUES", 10: "GET_VALUES_RESULT",
         11: "UNKNOWN_TYPE"}
ROLES = {1: "responder", 2: "authorizer", 3: "filter"}


def _records(d: bytes, first):
    """(types, role) of the records in d (the last may be incomplete), MORE, or None."""
    off, types, role = 0, [], None
    while off < len(d) and len(types) < 16:
        if len(d) - off < 8:
            h = d[off:]
            if h[0] != 1 or (len(h) > 1 and h[1] not in TYPES):
                return None
            break
        ver, t, rid, clen, plen, _rsv = struct.unpack_from(">BBHHBB", d, off)
        if ver != 1 or t not in TYPES:
            return None
        if not types:
            if t not in first:
                return None
            if t == 1:
                if clen != 8:
                    return None
                body = d[off + 8:off + 16]
                if len(body) == 8:
                    r = struct.unpack_from(">H", body, 0)[0]
                    if r not in ROLES or body[3:8] != b"\x00" * 5:
                        return None
                    role = ROLES[r]
            elif t in (9, 10) and rid != 0:
                return None           # management records use request id 0
        types.append(TYPES[t])
        off += 8 + clen + plen
    if not types:
        return MORE
    return types, role


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE
    r = _records(c, (1, 9))
    if r is None or r is MORE:
        return NO if r is None else MORE
    types, role = r
    if s:
        rs = _records(s, (3, 6, 7, 10, 11))
        if rs is None:
            return NO
    elif len(types) < 2:
        return MORE
    return claim("fastcgi", 0.95, role=role, records=",".join(dict.fromkeys(types)))


SPEC = DetectorSpec(name="fastcgi", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset({1}), s2c=frozenset({1})),
                    max_confidence=0.95)
