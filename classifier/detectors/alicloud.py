"""AliCloud: the Alibaba Cloud agent's TCP framing (nDPI's alicloud.c): each message
is an 8-byte header, the magic bytes CE FA BE BA and a u32 length of the body that
follows, then the body (opaque).  The client speaks first; the server answers in the
same framing.  A header may arrive alone in its own segment, its body after it.
The header is little-endian: the magic read that way is 0xBABEFACE, and the length is
too (nDPI compares it big-endian, so it matches only header-alone segments; checked
against nDPI's reference captures, whose frames chain with little-endian lengths).

This detector walks the frames of each direction: every frame must start with the
magic and its length must be plausible; the bytes seen must end on a frame boundary
or inside a frame (MORE).  A whole frame on one side is a match (0.85: a 4-byte magic
plus an agreeing length); whole frames on both sides, 0.95.
Metadata: frames (whole frames seen, both sides).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim, resyncing

MAGIC = b"\xce\xfa\xbe\xba"
MAX_BODY = 1 << 20                    # far above what the agent sends; bounds a random length


def _frames(data: bytes):
    """Whole frames in data, MORE when data ends inside the first one, None when a
    frame breaks the framing."""
    i, n = 0, 0
    while i < len(data):
        head = data[i:i + 8]
        if not MAGIC.startswith(head[:4]):
            return None
        if len(head) < 8:
            break                     # a header cut short: the rest is still coming
        size = int.from_bytes(head[4:8], "little")
        if size == 0 or size > MAX_BODY:
            return None
        if i + 8 + size > len(data):
            break                     # inside a frame's body
        i += 8 + size
        n += 1
    return n if n else MORE


def _counted(data: bytes):
    """_frames's count as the one-item list _units.streams collects."""
    r = _frames(data)
    return r if r is None or r is MORE else [r]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    whole = _units.streams(view, _counted)
    if whole is MORE or whole is NO:
        return whole
    return claim("alicloud", 0.95 if len(whole) == 2 else 0.85, frames=sum(whole))


# A mid-stream direction may start inside a message: the other one may decide alone.
probe = resyncing(probe)

SPEC = DetectorSpec(name="alicloud", transports=("tcp",), probe=probe, resync=True, max_bytes=2048,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset((0xce,)), s2c=frozenset((0xce,))),
                    max_confidence=0.95)
