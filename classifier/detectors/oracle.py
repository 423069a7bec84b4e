"""Oracle Net TNS (Transparent Network Substrate; the packet layouts as Wireshark's TNS
dissector documents them): the client speaks first.  Every packet opens with an 8-byte
header: int16 packet length, int16 packet checksum (0), the packet type (1 CONNECT,
2 ACCEPT, 4 REFUSE, 5 REDIRECT, 11 RESEND, ...), a reserved byte and an int16 header
checksum (0).  A CONNECT carries the client's version and lowest compatible version
(300 and up), service options, SDU and TDU sizes, protocol characteristics, line
turnaround, the "value of 1 in hardware" (0x0001 or 0x0100 by byte order), the length
and offset of the connect data, which is a descriptor "(DESCRIPTION=(CONNECT_DATA=...".
The server answers ACCEPT, REFUSE, REDIRECT or RESEND.

This detector relies on the client's whole CONNECT header (version fields, the hardware
one, the connect data's offset and length agreeing with the packet length, the
descriptor's opening parenthesis) and a server packet of an answering type.
Metadata: version (the client's TNS version), answer (the server's packet type).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

CONNECT_HEAD = 8 + 26           # header, then the fields up to the connect data's offset
ANSWERS = {2: "ACCEPT", 4: "REFUSE", 5: "REDIRECT", 11: "RESEND"}
MAX_INLINE_DATA = 230           # longer connect data travels in the next packet (DATA)


def _connect(c: bytes):
    """The client's TNS version, MORE, or None."""
    if len(c) >= 5:
        length, csum, ptype = struct.unpack_from(">HHB", c, 0)
        if ptype != 1 or csum != 0 or length < CONNECT_HEAD or length > 2048:
            return None
    elif c[0] > 7:
        return None                       # a CONNECT is at most a few hundred bytes
    if len(c) < CONNECT_HEAD:
        return MORE
    length, _, _, res, hcsum, ver, compat = struct.unpack_from(">HHBBHHH", c, 0)
    if hcsum != 0 or not 300 <= compat <= ver <= 400:
        return None                       # versions 300 (Oracle 7) to 319 (23ai)
    hw1, dlen, doff = struct.unpack_from(">HHH", c, 8 + 14)
    if hw1 not in (0x0001, 0x0100) or doff < CONNECT_HEAD:
        return None
    if doff + dlen == length:
        pass                              # the connect data is in the packet
    elif not (dlen > MAX_INLINE_DATA and doff >= length):
        return None                       # nor sent after it: the lengths disagree
    if doff < length:
        if len(c) <= doff:
            return MORE
        if c[doff] != 0x28:
            return None                   # the descriptor opens with "("
    return ver


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # the client always speaks first
    ver = _connect(c)
    if ver is None:
        return NO
    if ver is MORE:
        return NO if s else MORE
    if len(s) < 8:
        return MORE if s[:1] in (b"", b"\x00", b"\x01", b"\x02") else NO
    length, csum, ptype = struct.unpack_from(">HHB", s, 0)
    if ptype not in ANSWERS or length < 8 or csum != 0:
        return NO
    return claim("oracle", 0.95, version=ver, answer=ANSWERS[ptype])


SPEC = DetectorSpec(name="oracle", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0, 1, 2, 3}), s2c=frozenset({0, 1, 2})),
                    max_confidence=0.95)
