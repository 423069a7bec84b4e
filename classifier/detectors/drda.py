"""DRDA (The Open Group DRDA, Volume 3 "Distributed Data Management Architecture"):
every DSS (data stream structure) is a 6-byte header, a 2-byte length (>= 10, the whole
DSS), the magic 0xD0, a format byte (chaining bits and DSS type 1 request, 2 reply,
3 object, 4 encrypted object, 5 communication), a 2-byte correlation id; then the DDM
object: its 2-byte length (the DSS length less 6) and code point (e.g. 0x1041 EXCSAT,
0x106D ACCSEC, 0x1443 EXCSATRD).  A DB2 / Derby client opens with EXCSAT.
Metadata: codepoint (the first DDM's, hex).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

CODEPOINTS = {0x1041: "EXCSAT", 0x106D: "ACCSEC", 0x106E: "SECCHK", 0x2001: "ACCRDB",
              0x1443: "EXCSATRD", 0x14AC: "ACCSECRD", 0x1219: "SECCHKRM", 0x2201: "ACCRDBRM"}


def _dss(d: bytes):
    if len(d) < 10:
        if len(d) > 2 and d[2] != 0xD0:
            return None
        return MORE
    n, magic, fmt, _corr, ddm, cp = struct.unpack_from(">HBBHHH", d, 0)
    if magic != 0xD0 or n < 10 or fmt & 0x0f not in (1, 2, 3, 4, 5) or ddm != n - 6:
        return None
    if len(d) >= n + 3 and d[n + 2] != 0xD0:
        return None                   # chained DSSs follow each other exactly
    return cp


def probe(view, state):
    cps = []
    for d in (view.payload_c2s, view.payload_s2c):
        if not d:
            continue
        cp = _dss(d)
        if cp is None:
            return NO
        if cp is MORE:
            return MORE
        cps.append(cp)
    if not cps:
        return MORE
    cp = cps[0]
    conf = 0.95 if len(cps) == 2 else 0.85
    return claim("drda", conf, codepoint=CODEPOINTS.get(cp, "0x%04X" % cp))


# The opening DSSs (EXCSAT, ACCSEC and their replies) are far below 4 KiB: the length's
# high byte is below 0x10.
_LEN_HIGH = frozenset(range(0x10))
SPEC = DetectorSpec(name="drda", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=_LEN_HIGH, s2c=_LEN_HIGH), max_confidence=0.95)
