"""ISO transport over TCP (RFC 1006 TPKT carrying ISO 8073 / X.224 class 0 TPDUs), the
framing S7comm and MMS share (and RDP, whose detector keeps its own narrower reader).

A TPKT is version 3, reserved 0, a 16-bit length covering the whole packet (at least
7: the 4-byte TPKT header and a 3-byte DT TPDU).  Inside, the TPDU's length indicator
(LI) counts its header after the LI byte, so 4 + 1 + LI <= length; the code is the high
nibble of the next byte.  Only the codes of class 0 appear on ISO-on-TCP.
"""
from __future__ import annotations

CR, CC, DR, DC, DT, ER = 0xE0, 0xD0, 0x80, 0xC0, 0xF0, 0x70
CODES = frozenset((CR, CC, DR, DC, DT, ER))
MORE_BYTES = object()       # sentinel: a valid but incomplete first TPKT


def tpdus(data: bytes, limit: int = 4):
    """[(code, TPDU header after the LI byte, user data)] of the complete TPKTs at the
    start of `data` (at most `limit`); MORE_BYTES when not even the first is complete but
    what is there is valid; None when the bytes break a rule of RFC 1006 or X.224."""
    out, pos = [], 0
    while pos < len(data) and len(out) < limit:
        head = data[pos:pos + 6]
        if head[:1] != b"\x03" or head[1:2] not in (b"", b"\x00"):
            return None if not out else out         # after good TPKTs: another stream state
        if len(head) < 6:
            break
        n = int.from_bytes(head[2:4], "big")
        li, code = head[4], head[5] & 0xF0
        if n < 7 or li < 2 or 4 + 1 + li > n or code not in CODES:
            return None
        if code == DT and li != 2:
            return None                              # class 0 DT: LI 2 (code, EOT/TPDU-NR)
        if code in (CR, CC, DR) and li < 6:
            return None                              # dst-ref, src-ref, class/reason at least
        if pos + n > len(data):
            break
        out.append((code, data[pos + 5:pos + 5 + li], data[pos + 5 + li:pos + n]))
        pos += n
    return out or MORE_BYTES


def tsaps(header: bytes) -> dict:
    """The calling/called TSAP parameters (0xC1/0xC2) of a CR or CC header, as hex."""
    out, pos = {}, 6                                 # code, dst-ref(2), src-ref(2), class
    while pos + 2 <= len(header):
        code, ln = header[pos], header[pos + 1]
        if pos + 2 + ln > len(header):
            break
        if code in (0xC1, 0xC2):
            out["calling_tsap" if code == 0xC1 else "called_tsap"] = header[pos + 2:pos + 2 + ln].hex()
        pos += 2 + ln
    return out
