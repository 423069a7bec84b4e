"""Service Location Protocol v1 (RFC 2165) and v2 (RFC 2608) over UDP/TCP.
v2 header: version 2, function 1-11, 3-byte length equal to the message, flags with
the low 13 bits zero, 3-byte next-extension offset, XID, language tag length + tag.
v1 header: version 1, function 1-10, 2-byte length, flags, dialect 0, two-letter
language code, character encoding, XID.  Metadata: version, function, lang.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter

FUNCS = {1: "SrvRqst", 2: "SrvRply", 3: "SrvReg", 4: "SrvDeReg", 5: "SrvAck",
         6: "AttrRqst", 7: "AttrRply", 8: "DAAdvert", 9: "SrvTypeRqst",
         10: "SrvTypeRply", 11: "SAAdvert"}


# parse(message) -> metadata dict, None (not SLP) or MORE; probe(view, state): the first
# two datagrams of each side (UDP) or each direction's bytes (TCP) must all be SLP
# messages, metadata from the first.  Compiled: slp.pxi.
parse = _fast.slp_parse
probe = _fast.slp_probe


SPEC = DetectorSpec(name="slp", transports=("udp", "tcp"), probe=probe, max_bytes=1500,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((1, 2)), s2c=frozenset((1, 2))))
