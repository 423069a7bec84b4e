"""IEC 60870-5-104 over TCP: APDUs start 0x68 with a length 4-253 and four control
octets -- U-format (STARTDT/STOPDT/TESTFR act/con, low bits 11), S-format (01 00),
or I-format followed by an ASDU.  APDUs must tile the stream.  Metadata: first frame.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, resyncing

U_CODES = {0x07: "STARTDT act", 0x0B: "STARTDT con", 0x13: "STOPDT act",
           0x23: "STOPDT con", 0x43: "TESTFR act", 0x83: "TESTFR con"}


def apdus(data: bytes):
    pos, out = 0, []
    while pos < len(data) and len(out) < 8:
        if data[pos] != 0x68:
            # Garbage after valid APDUs (gaps, damaged captures) ends the walk.
            return out or None
        if pos + 2 > len(data):
            break
        n = data[pos + 1]
        if n < 4 or n > 253:
            return None
        if pos + 2 + n > len(data):
            break
        c1 = data[pos + 2]
        if c1 & 3 == 3:
            if c1 not in U_CODES or n != 4 or data[pos + 3:pos + 6] != b"\x00\x00\x00":
                return out or None         # U-format frames are exactly 4 control octets
            out.append(U_CODES[c1])
        elif c1 & 3 == 1:
            if n != 4 or c1 != 1 or data[pos + 3] != 0:
                return None
            out.append("S")
        else:
            if n < 10:
                return None                # I-format carries an ASDU (>= 6 octets)
            out.append("I")
        pos += 2 + n
    return out or MORE


def probe(view, state):
    frames, more = [], False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        r = apdus(data)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        frames.extend(r)
    if not frames:
        return MORE if more else NO
    # One I-frame alone is 12+ bytes of weak structure; a U-frame or two frames is solid.
    if any(f != "I" for f in frames) or len(frames) >= 2:
        return claim("iec104", 1.0, first_frame=frames[0])
    return MORE


# A mid-stream direction may start inside a message: the other one may decide alone.
probe = resyncing(probe)

SPEC = DetectorSpec(name="iec104", transports=("tcp",), probe=probe, resync=True, max_bytes=512,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x68,)), s2c=frozenset((0x68,))))
