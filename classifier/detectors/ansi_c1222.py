"""ANSI C12.22 (utility meter data over IP; IEEE 1703): every message is an ACSE PDU,
BER tag 0x60 and a definite length covering the message, holding context-specific
elements in increasing tag order (C12.22 clause 5.3.1): application context 0xA1,
called AP title 0xA2, called AP invocation id 0xA4, calling AP title 0xA6, calling AE
qualifier 0xA7, calling AP invocation id 0xA8, mechanism name 0x8B, calling
authentication value 0xAC, and the user information 0xBE, an EXTERNAL (0x28) holding
the EPSEM.  AP titles are universal OIDs (0x06) or relative OIDs (0x0D).

The detector relies on the outer length, every element being one of those tags in
order, nested lengths adding up, and a user-information EXTERNAL (which DLMS/COSEM's
AARQ, the other 0x60 PDU in metering, never carries).  Metadata: called_ap_title,
calling_ap_title (dotted OIDs; relative ones start with ".").
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

ORDER = (0xA1, 0xA2, 0xA4, 0xA6, 0xA7, 0xA8, 0x8B, 0xAC, 0xBE)


def _len(d: bytes, pos: int):
    """(length, position after it) of a BER definite length, or None."""
    if pos >= len(d):
        return None
    b = d[pos]
    if b < 0x80:
        return b, pos + 1
    k = b & 0x7F
    if k == 0 or k > 2 or pos + 1 + k > len(d):
        return None
    return int.from_bytes(d[pos + 1:pos + 1 + k], "big"), pos + 1 + k


def _oid(tag: int, v: bytes):
    arcs, n = [], 0
    for b in v:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(n)
            n = 0
    if not arcs or n:
        return None
    if tag == 0x06:
        first = min(arcs[0] // 40, 2)
        arcs = [first, arcs[0] - 40 * first] + arcs[1:]
        return ".".join(map(str, arcs))
    return "." + ".".join(map(str, arcs))


def acse(d: bytes, whole: bool):
    """Metadata of one C12.22 ACSE PDU filling `d`, MORE for a valid prefix, or None."""
    if d[:1] != b"\x60":
        return None
    hl = _len(d, 1)
    if hl is None:
        return MORE if len(d) < 4 and not whole else None
    n, pos = hl
    if pos + n > len(d):
        return None if whole else MORE
    if pos + n != len(d) and whole:
        return None
    end, last, meta, external = pos + n, -1, {}, False
    while pos < end:
        tag = d[pos]
        if tag not in ORDER or ORDER.index(tag) <= last:
            return None                  # a known element, each at most once, in order
        last = ORDER.index(tag)
        el = _len(d, pos + 1)
        if el is None or el[1] + el[0] > end:
            return None
        vs, ve = el[1], el[1] + el[0]
        if tag in (0xA2, 0xA6):
            inner = d[vs:ve]
            if len(inner) < 3 or inner[0] not in (0x06, 0x0D) or inner[1] + 2 != len(inner):
                return None              # an AP title: one OID or relative OID
            oid = _oid(inner[0], inner[2:])
            if oid is None:
                return None
            meta["called_ap_title" if tag == 0xA2 else "calling_ap_title"] = oid
        if tag == 0xBE:
            inner = _len(d, vs + 1)
            if d[vs] != 0x28 or inner is None or inner[1] + inner[0] != ve:
                return None              # the user information is one EXTERNAL
            external = True
        pos = ve
    return meta if external else None


def probe(view, state):
    meta, more = None, False
    units = _units.units(view, SPEC.max_bytes)
    for d, whole in units:
        r = acse(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
        elif meta is None:
            meta = r
    if meta is None:
        return MORE if more else NO
    return claim("ansi-c1222", 0.95, **meta)


SPEC = DetectorSpec(name="ansi-c1222", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x60,)), s2c=frozenset((0x60,))),
                    max_confidence=0.95)
