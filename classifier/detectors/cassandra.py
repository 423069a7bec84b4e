"""Cassandra CQL native protocol, versions 3 to 5 (native_protocol_v4.spec and v5, section
2 "Frame header"): the client speaks first.  A frame header is 9 bytes: version (0x03-0x05
in a request, with 0x80 set in a response), flags (0x01 compression, 0x02 tracing, 0x04
custom payload, 0x08 warning, 0x10 beta), an int16 stream id, an opcode and an int32 body
length.  A connection opens with OPTIONS (0x05, empty body) or STARTUP (0x01, a string
map: int16 count, then int16-length key/value strings, with "CQL_VERSION"); the server
answers on the same stream with SUPPORTED (0x06), READY (0x02), AUTHENTICATE (0x03) or
ERROR (0x00).  (v5 wraps later frames in checksummed segments, after STARTUP.)

This detector relies on the client's first frame (OPTIONS with length 0, or STARTUP whose
string map fills its length exactly) and the server's answer: a response version, an
answering opcode, the same stream id.
Metadata: version (the client's), opcode (OPTIONS or STARTUP), cql_version.
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

OPCODES = {0x01: "STARTUP", 0x05: "OPTIONS"}
ANSWERS = {0x00, 0x02, 0x03, 0x06}        # ERROR, READY, AUTHENTICATE, SUPPORTED
MAX_STARTUP = 4096


def _string_map(b: bytes):
    """The STARTUP body's map, or None when the bytes are not exactly one."""
    if len(b) < 2:
        return None
    (n,) = struct.unpack_from(">H", b, 0)
    i, out = 2, {}
    if not 1 <= n <= 16:
        return None
    for _ in range(2 * n):
        if i + 2 > len(b):
            return None
        (k,) = struct.unpack_from(">H", b, i)
        i += 2
        if i + k > len(b):
            return None
        out.setdefault("_", []).append(b[i:i + k])
        i += k
    if i != len(b):
        return None                       # the length must be the map's, no more
    items = out["_"]
    keys = items[0::2]
    if not all(k and k.isupper() for k in (key.replace(b"_", b"") for key in keys)):
        return None                       # option names: CQL_VERSION, COMPRESSION, DRIVER_NAME...
    return dict(zip(keys, items[1::2]))


def _header(d: bytes, versions):
    """(version, flags, stream, opcode, length) or MORE / None."""
    if d[0] not in versions:
        return None
    if len(d) >= 2 and d[1] & ~0x1f:
        return None                       # undefined flag bits
    if len(d) < 9:
        return MORE
    return struct.unpack_from(">BBhBI", d, 0)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # the client always speaks first
    h = _header(c, (3, 4, 5))
    if h is None:
        return NO
    if h is MORE:
        return NO if s else MORE
    ver, flags, stream, op, length = h
    if op not in OPCODES or flags & 0x01:
        return NO                         # no compression before STARTUP has chosen one
    cql = None
    if op == 0x05:
        if length != 0:
            return NO                     # OPTIONS has an empty body
    else:
        if not 2 <= length <= MAX_STARTUP:
            return NO
        if len(c) < 9 + length:
            return NO if s else MORE
        m = _string_map(c[9:9 + length])
        if m is None or b"CQL_VERSION" not in m:
            return NO                     # CQL_VERSION is the one mandatory STARTUP option
        cql = dec(m[b"CQL_VERSION"])
    if not s:
        return MORE
    r = _header(s, (0x81, 0x82, 0x83, 0x84, 0x85))
    if r is None:
        return NO
    if r is MORE:
        return MORE
    # a server refusing the client's version answers ERROR in its own (lower) version
    if r[3] not in ANSWERS or r[2] != stream or r[4] > 1 << 20:
        return NO
    return claim("cassandra", 0.95, version=ver, opcode=OPCODES[op], cql_version=cql)


SPEC = DetectorSpec(name="cassandra", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({3, 4, 5}),
                                                       s2c=frozenset({0x81, 0x82, 0x83, 0x84, 0x85})),
                    max_confidence=0.95)
