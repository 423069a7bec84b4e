"""MongoDB wire protocol: 16-byte little-endian MsgHeader (messageLength, requestID,
responseTo, opCode) with opCode in the known set; a request has responseTo 0 (or -1,
from legacy drivers) and the reply's responseTo equals the request's requestID.
Metadata: op.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter

OPS = {1: "OP_REPLY", 2001: "OP_UPDATE", 2002: "OP_INSERT", 2004: "OP_QUERY",
       2005: "OP_GET_MORE", 2006: "OP_DELETE", 2007: "OP_KILL_CURSORS",
       2012: "OP_COMPRESSED", 2013: "OP_MSG"}


# probe(view, state): the client's first 16-byte header (length, requestID, responseTo,
# opCode; little-endian) has a known opCode other than OP_REPLY, a length of 16 bytes
# to 48 MiB and responseTo 0 or -1; the server's header answers it (responseTo =
# requestID: 1.0).  A request alone: OP_MSG/OP_QUERY whose length is the stream's (0.8).
# Metadata: op.  Compiled: mongodb.pxi.
probe = _fast.mongodb_probe


SPEC = DetectorSpec(name="mongodb", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(any=True))
