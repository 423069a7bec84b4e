"""eDonkey / eMule over TCP (the eDonkey2000 protocol as documented by the eMule
project and "The eMule Protocol Specification", Kulbak & Bickson 2005): every message
is framed as

    protocol (u8: 0xe3 eDonkey, 0xc5 eMule extensions, 0xd4 zlib-packed eMule)
    size (u32 little endian: the bytes that follow, opcode included) | opcode (u8) | body

A client opens with opcode 0x01: Hello to another client (hash size 16, user hash,
client id, port, tags) or Login to a server (user hash, client id, port, tags); the
peer answers with framed messages (Hello Answer 0x4c, or a server's messages).
This detector walks the framing of each direction: every frame's protocol byte is one
of the three, sizes chain through the bytes seen (the last frame may be incomplete),
and the client's first frame is an opcode 0x01 long enough for a user hash, client id
and port.  Client and server framing both present: 0.9; the client's whole Hello
alone: 0.8 (one byte of magic, an exact length, an opcode).
Metadata: opcodes (client's first, server's first, hex).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

PROTOCOLS = (0xE3, 0xC5, 0xD4)
MAX_FRAME = 2 * 1024 * 1024
HELLO_MIN = 1 + 16 + 4 + 2 + 4        # opcode, user hash, client id, port, tag count


def _frames(b: bytes):
    """(opcodes, whole): the frames' opcodes and whether the bytes end on a frame
    boundary; None when the framing breaks."""
    i, ops = 0, []
    while i < len(b):
        if b[i] not in PROTOCOLS:
            return None
        if i + 5 > len(b):
            return ops, False
        size = int.from_bytes(b[i + 1:i + 5], "little")
        if size == 0 or size > MAX_FRAME:
            return None
        if i + 5 < len(b):
            ops.append(b[i + 5])
        i += 5 + size
    return ops, i == len(b)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE         # the connecting client speaks first
    fc = _frames(c)
    if fc is None:
        return NO
    ops, whole = fc
    if not ops:
        return MORE if not s else NO
    if ops[0] != 0x01:
        return NO                        # Hello / Login opens the connection
    if len(c) >= 5 and int.from_bytes(c[1:5], "little") < HELLO_MIN:
        return NO
    if not s:
        return claim("edonkey", 0.8, opcodes=["01"]) if whole else MORE
    fs = _frames(s)
    if fs is None:
        return NO
    if not fs[0]:
        return MORE
    return claim("edonkey", 0.9, opcodes=["01", f"{fs[0][0]:02x}"])


SPEC = DetectorSpec(name="edonkey", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(PROTOCOLS), s2c=frozenset(PROTOCOLS)),
                    max_confidence=0.9)
