"""Path of Exile's game-server connection: the client's first message, which names the
character.  Source: nDPI's path_of_exile.c ("the first packet always contains these
signatures and the character's nickname (from 4 to 23 chars)"): a first packet of 26
to 49 bytes with byte 0 = 0x00, bytes 1-2 = 03 00, byte 6 = 0x00, bytes 7-8 = 02 00,
and the last 8 bytes 00 00 00 00 40 00 00 01.

Read as a message, the nickname sits at byte 10 with its length in byte 9, then 4
bytes, then the fixed 8-byte tail, so the message is exactly 22 + length bytes long:
this detector requires nDPI's fixed bytes, a length of 4-23 (nDPI's bound), a
nickname of letters, digits and underscores, and the message filling the client's
first TCP segment exactly (pkt_sizes; the client's bytes seen, when the sizes are
unknown).  Fixed bytes and a length that must agree with the segment: 0.85.
Metadata: character (the nickname).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

HEAD = ((0, 0x00), (1, 0x03), (2, 0x00), (6, 0x00), (7, 0x02), (8, 0x00))
TAIL = bytes.fromhex("0000000040000001")
NAME_AT, FIXED = 10, 22          # the nickname's offset; the message's size without it
MIN_NAME, MAX_NAME = 4, 23
_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _first_segment(view) -> int:
    """The client's first TCP segment size, or 0 when unknown."""
    for d, sz in zip(view.pkt_dirs, view.pkt_sizes):
        if d == 0 and sz:
            return sz
    return 0


def probe(view, state):
    c = view.payload_c2s
    if not c:
        return NO if view.payload_s2c else MORE     # the client speaks first
    for off, val in HEAD:
        if off < len(c) and c[off] != val:
            return NO
    if len(c) <= NAME_AT - 1:
        return MORE
    n = c[NAME_AT - 1]
    if not MIN_NAME <= n <= MAX_NAME:
        return NO
    name = c[NAME_AT:NAME_AT + n]
    if any(ch not in _NAME_CHARS for ch in name):
        return NO
    size = FIXED + n
    if len(c) < size:
        tail = c[NAME_AT + n + 4:]
        return MORE if TAIL.startswith(tail) else NO
    if c[size - 8:size] != TAIL:
        return NO
    seg = _first_segment(view)
    if seg and seg != size or not seg and len(c) != size:
        return NO                # the message is the whole first segment
    return claim("pathofexile", 0.85, character=dec(name))


SPEC = DetectorSpec(name="pathofexile", transports=("tcp",), probe=probe, max_bytes=256,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"\x00")),
                    max_confidence=0.85)
