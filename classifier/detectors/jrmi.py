"""Java RMI's wire protocol JRMP (Java RMI specification, chapter 10 "RMI Wire
Protocol"): the client opens with the magic "JRMI", a 2-byte version (2) and a protocol
byte (0x4B StreamProtocol, 0x4C SingleOpProtocol, 0x4D MultiplexProtocol).  With the
stream protocol the server answers ProtocolAck 0x4E followed by the client's host (a
modified-UTF-8 string: 2-byte length, bytes) and port (4 bytes), or ProtocolNotSupported
0x4F.
Metadata: version, protocol, client_host (as the server saw it).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

PROTOCOLS = {0x4B: "stream", 0x4C: "single-op", 0x4D: "multiplex"}


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE
    if not c.startswith(b"JRMI"[:len(c)]):
        return NO
    if len(c) < 7:
        return MORE
    (version,) = struct.unpack_from(">H", c, 4)
    if version not in (1, 2) or c[6] not in PROTOCOLS:
        return NO
    meta = {"version": version, "protocol": PROTOCOLS[c[6]]}
    if s:
        if s[0] not in (0x4E, 0x4F):
            return NO
        if s[0] == 0x4E and len(s) >= 3:
            (n,) = struct.unpack_from(">H", s, 1)
            if n > 255:
                return NO
            if len(s) >= 3 + n:
                meta["client_host"] = dec(s[3:3 + n])
    return claim("jrmi", 0.95, **meta)


SPEC = DetectorSpec(name="jrmi", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"J"), s2c=frozenset({0x4E, 0x4F})),
                    max_confidence=0.95)
