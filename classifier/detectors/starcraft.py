"""StarCraft II's login connection to Battle.net (the TCP flow that "starts with the
user login and stays alive until the logout").  Source: nDPI's starcraft.c, whose
only TCP rule is a fixed 10-byte opening of the client's first packet,
4a 00 00 0a 66 02 0a ed 2d 66 or 49 00 00 0a 66 02 0a ed 2d 66.  nDPI also requires
one of Blizzard's logon server addresses and port 1119 (bnetgame); this detector reads
neither, so it rests on the 10 bytes alone.

No public description of this Battle.net 2.0 framing was found (BNETDocs covers the
classic BNCS protocol, 0xff-framed on 6112, not this one), so nothing beyond the
opening is checked: 9 fixed bytes after a first byte of two values are specific, but
they may be a client build's constant, hence confidence 0.8.  nDPI's UDP rule (a run
of datagram sizes on port 1119) is left out: it is a port rule with a size pattern.
Metadata: none.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

OPENING = bytes.fromhex("00000a66020aed2d66")     # bytes 1-9
FIRST = (0x4A, 0x49)                               # byte 0


def probe(view, state):
    c = view.payload_c2s
    if not c:
        return NO if view.payload_s2c else MORE    # the client speaks first
    if c[0] not in FIRST:
        return NO
    head = c[1:1 + len(OPENING)]
    if not OPENING.startswith(head):
        return NO
    if len(head) < len(OPENING):
        return MORE
    return claim("starcraft", 0.8)


SPEC = DetectorSpec(name="starcraft", transports=("tcp",), probe=probe, max_bytes=64,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset(FIRST)),
                    max_confidence=0.8)
