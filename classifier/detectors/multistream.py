"""multistream-select 1.0 (multiformats/multistream-select), the protocol negotiation of
libp2p (IPFS, Filecoin, Ethereum's consensus layer): every message is a uvarint length
then UTF-8 text ending in a newline, and each side opens with the protocol's own id

    0x13 "/multistream/1.0.0\\n"

followed by the protocol it proposes or accepts (e.g. "/noise\\n", "/yamux/1.0.0\\n") or
"na\\n".  The 19-byte header, length included, from either side: confidence 1.0.
Metadata: protocols (the ids proposed or accepted after the header, each side's first).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

HEADER = b"\x13/multistream/1.0.0\n"


def _next(b: bytes):
    """The message after the header, without its newline, or None."""
    rest = b[len(HEADER):]
    if not rest or rest[0] >= 0x80 or rest[0] == 0:
        return None
    msg = rest[1:1 + rest[0]]
    if len(msg) != rest[0] or not msg.endswith(b"\n"):
        return None
    return msg[:-1]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    seen = []
    for b in (c, s):
        if not b:
            continue
        if len(b) < len(HEADER):
            if HEADER.startswith(b):
                return MORE
            return NO
        if not b.startswith(HEADER):
            return NO
        seen.append(b)
    protos = [dec(p) for p in (_next(b) for b in seen) if p]
    return claim("multistream", 1.0, protocols=protos or None)


SPEC = DetectorSpec(name="multistream", transports=("tcp",), probe=probe, max_bytes=512, max_packets=3,
                    prefilter=Prefilter(c2s=frozenset((0x13,)), s2c=frozenset((0x13,))), max_confidence=1.0)
