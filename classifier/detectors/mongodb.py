"""MongoDB wire protocol: 16-byte little-endian MsgHeader (messageLength, requestID,
responseTo, opCode) with opCode in the known set; a request has responseTo 0 and the
reply's responseTo equals the request's requestID.  Metadata: op.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match

OPS = {1: "OP_REPLY", 2001: "OP_UPDATE", 2002: "OP_INSERT", 2004: "OP_QUERY",
       2005: "OP_GET_MORE", 2006: "OP_DELETE", 2007: "OP_KILL_CURSORS",
       2012: "OP_COMPRESSED", 2013: "OP_MSG"}


def header(data: bytes):
    if len(data) < 16:
        return MORE
    n, rid, rto, op = (int.from_bytes(data[i:i + 4], "little") for i in (0, 4, 8, 12))
    if op not in OPS or n < 16 or n > 48 * 1024 * 1024:
        return None                       # maxMessageSizeBytes is 48 MB
    return n, rid, rto, op


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    hc = header(c) if c else MORE
    if hc is None:
        return NO
    if hc is MORE:
        return MORE
    n, rid, rto, op = hc
    if op == 1:
        return NO                          # a client never sends OP_REPLY
    if rto != 0:
        # Mid-stream requests keep responseTo 0 too; a non-zero value is a reply.
        return NO
    if s:
        hs = header(s)
        if hs is MORE:
            return MORE
        if hs is None or hs[2] != rid:
            return NO
        return match("mongodb", 1.0, op=OPS[op])
    # Request alone: only OP_MSG/OP_QUERY with a fitting length are convincing.
    if op in (2004, 2013) and n == len(c):
        return match("mongodb", 0.8, op=OPS[op])
    return MORE


SPEC = DetectorSpec(name="mongodb", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(any=True))
