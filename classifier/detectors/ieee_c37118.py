"""IEEE C37.118.2 synchrophasor frames (PMU data, configuration, header and command
frames; TCP or UDP, commonly 4712/4713): SYNC (0xAA, then a byte whose bits 6-4 give the
frame type 0-5 and bits 3-0 the version 1-3, bit 7 clear), FRAMESIZE (2, the whole
frame), IDCODE (2), SOC (4), FRACSEC (4), the body, and CHK, a CRC-CCITT (polynomial
0x1021, initial 0xFFFF) over everything before it.

The detector relies on the SYNC word, the frame size agreeing with the bytes, and the
CRC: a checked frame is a synchrophasor frame.  Metadata: frame_type, idcode.
"""
from __future__ import annotations

from ._crc import crc16_ccitt
from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

TYPES = ("data", "header", "config-1", "config-2", "command", "config-3")


def frames(d: bytes, whole: bool):
    out, pos = [], 0
    while pos < len(d) and len(out) < 4:
        if d[pos] != 0xAA:
            return None
        if pos + 1 < len(d):
            b = d[pos + 1]
            if b & 0x80 or (b >> 4) > 5 or not 1 <= (b & 0x0F) <= 3:
                return None
        if pos + 4 > len(d):
            return out or MORE
        n = int.from_bytes(d[pos + 2:pos + 4], "big")
        if n < 16:
            return None                  # SYNC..FRACSEC (14) and CHK (2) at least
        if pos + n > len(d):
            return None if whole else (out or MORE)
        if crc16_ccitt(d[pos:pos + n - 2]) != int.from_bytes(d[pos + n - 2:pos + n], "big"):
            return None
        out.append((TYPES[(d[pos + 1] >> 4) & 7], int.from_bytes(d[pos + 4:pos + 6], "big")))
        pos += n
    return out


def probe(view, state):
    found, more = [], False
    units = _units.units(view, SPEC.max_bytes)
    for d, whole in units:
        r = frames(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.extend(r)
    if not found:
        return MORE if more else NO
    kind, idcode = found[0]
    return claim("ieee-c37118", 1.0, frame_type=kind, idcode=idcode)


SPEC = DetectorSpec(name="ieee-c37118", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0xAA,)), s2c=frozenset((0xAA,))),
                    max_confidence=1.0)
