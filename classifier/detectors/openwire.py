"""ActiveMQ OpenWire (the OpenWire wire format, activemq.apache.org "OpenWire Version
2 Specification"): with size prefixing on (the default), every command is a 4-byte
big-endian size, then the command's data-structure type; both sides open with a
WireFormatInfo (type 1) whose first field is the 8-byte magic "ActiveMQ", then the
4-byte protocol version and the marshalled options.
Metadata: version (each side's first WireFormatInfo: the lower of the two).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

MAGIC = b"ActiveMQ"


def _info(d: bytes):
    head = b"\x01" + MAGIC
    if len(d) < 4:
        return MORE
    (size,) = struct.unpack_from(">I", d, 0)
    if size < len(head) + 4 or size > 1 << 20:
        return None
    part = d[4:4 + len(head)]
    if not head.startswith(part):
        return None
    if len(d) < 4 + len(head) + 4:
        return MORE
    (version,) = struct.unpack_from(">I", d, 4 + len(head))
    return version if 1 <= version <= 64 else None


def probe(view, state):
    versions = []
    for d in (view.payload_c2s, view.payload_s2c):
        if not d:
            continue
        v = _info(d)
        if v is None:
            return NO
        if v is MORE:
            return MORE
        versions.append(v)
    if not versions:
        return MORE
    return claim("openwire", 0.95, version=min(versions))


SPEC = DetectorSpec(name="openwire", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.95)
