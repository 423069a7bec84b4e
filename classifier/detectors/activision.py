"""Activision: the UDP game traffic of Activision's titles (Call of Duty on consoles and
PC, port 3074 on the player's side) as nDPI's activision.c reads it; Activision
publishes no description of it.

activision.c's "original 0x0c02/0x0d02 variant": one side's first datagram opens with
0c 02, the other side's with 0d 02; afterwards the 0c 02 side sends datagrams opening
with 0x29 (or 0c 02 again) and the 0d 02 side datagrams opening with 0x28 (or 0d 02);
every datagram is at least 18 bytes; the flow is claimed after more than four
datagrams.  (nDPI ties the two openings to its own address-ordered directions; here
either side may be the one that sends first.)  Its other variant, datagrams opening
with 46 00 or 47 00, is two constant bytes only and is left out.

This detector claims a flow where both sides opened that way, every datagram follows
its side's rule, and five datagrams at least were seen (0.8: a 2-byte opening on each
side and a first byte on each later datagram, over five datagrams).  Fewer datagrams
that follow the rules are awaited (MORE).
Metadata: client_opening (the first sender's opening, "0c02" or "0d02"; the payload
after the openings is not read).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MIN_LEN = 18                          # activision.c excludes shorter payloads
# a side's opening -> the first byte its later datagrams carry
LATER = {b"\x0c\x02": 0x29, b"\x0d\x02": 0x28}
ENOUGH = 5                            # activision.c claims when packet_counter > 4
_BUDGET = 1024                        # SPEC.max_bytes


def _side(dgs: list):
    """The side's opening (0c 02 / 0d 02) when all its datagrams follow it, MORE for a
    short first datagram that may still be one, None otherwise."""
    if not dgs:
        return MORE
    head = dgs[0][:2]
    later = LATER.get(head)
    if later is None:
        return MORE if len(dgs) == 1 and len(head) < 2 and head[:1] in (b"\x0c", b"\x0d") else None
    for d in dgs:
        if len(d) < MIN_LEN:
            return MORE if len(dgs) == 1 else None
        if d[0] != later and d[:2] != head:
            return None
    return head


def _whole(dgs) -> list:
    """A side's datagrams, the last left out when the byte budget may have cut it."""
    dgs = [d for d in dgs if d]
    if len(dgs) > 1 and sum(len(d) for d in dgs) >= _BUDGET:
        dgs = dgs[:-1]
    return dgs


def probe(view, state):
    c, s = _whole(view.datagrams_c2s), _whole(view.datagrams_s2c)
    if not c and not s:
        return MORE
    a, b = _side(c), _side(s)
    if a is None or b is None:
        return NO
    if a is MORE or b is MORE:
        return MORE
    if a == b:
        return NO                         # one side 0c 02, the other 0d 02
    if len(c) + len(s) < ENOUGH:
        return MORE
    return claim("activision", 0.8, client_opening=a.hex())


# Each side opens with 0c 02 or 0d 02; the gate refuses in compiled code a flow without
# both sides (the probe needs both) or a first datagram that opens otherwise or is short.
SPEC = DetectorSpec(name="activision", transports=("udp",), probe=probe, max_bytes=_BUDGET,
                    max_packets=4,
                    prefilter=Prefilter(c2s=frozenset((0x0c, 0x0d)), s2c=frozenset((0x0c, 0x0d))),
                    max_confidence=0.8,
                    gate=Gate(units=2, min_len=MIN_LEN, bytes=((0, 0xfe, 0x0c, 0x0c), (1, 0xff, 2, 2))))
