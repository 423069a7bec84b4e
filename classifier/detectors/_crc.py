"""Checksums that industrial framings carry, so detectors can verify a frame rather than
guess from a magic number: a frame whose CRC checks out is that protocol's frame."""
from __future__ import annotations

import zlib

__all__ = ["crc16_ccitt", "crc16_x25", "crc32"]


def _table(poly: int, reflected: bool):
    out = []
    for i in range(256):
        if reflected:
            c = i
            for _ in range(8):
                c = (c >> 1) ^ poly if c & 1 else c >> 1
        else:
            c = i << 8
            for _ in range(8):
                c = ((c << 1) ^ poly) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
        out.append(c)
    return tuple(out)


_MSB = _table(0x1021, False)        # CRC-16/CCITT, most significant bit first
_LSB = _table(0x8408, True)         # the same polynomial reflected (HDLC, X.25)


def crc16_ccitt(data: bytes, init: int = 0xFFFF) -> int:
    """CRC-16, polynomial 0x1021, MSB first, no final XOR: init 0xFFFF is CCITT-FALSE
    (IEEE C37.118 CHK); init 0 is XMODEM."""
    c = init
    for b in data:
        c = ((c << 8) & 0xFFFF) ^ _MSB[(c >> 8) ^ b]
    return c


def crc16_x25(data: bytes) -> int:
    """CRC-16/X.25 (HDLC FCS, ISO 13239; IEC 62056-46 HCS and FCS): reflected 0x1021,
    init and final XOR 0xFFFF.  Sent least significant byte first."""
    c = 0xFFFF
    for b in data:
        c = (c >> 8) ^ _LSB[(c ^ b) & 0xFF]
    return c ^ 0xFFFF


def crc32(data: bytes) -> int:
    """CRC-32 (IEEE 802.3), as TRDP's header FCS uses it."""
    return zlib.crc32(data) & 0xFFFFFFFF
