"""Service Location Protocol v1 (RFC 2165) and v2 (RFC 2608) over UDP/TCP.
v2 header: version 2, function 1-11, 3-byte length equal to the message, flags with
the low 13 bits zero, 3-byte next-extension offset, XID, language tag length + tag.
v1 header: version 1, function 1-10, 2-byte length, flags, dialect 0, two-letter
language code, character encoding, XID.  Metadata: version, function, lang.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match, parse_units

FUNCS = {1: "SrvRqst", 2: "SrvRply", 3: "SrvReg", 4: "SrvDeReg", 5: "SrvAck",
         6: "AttrRqst", 7: "AttrRply", 8: "DAAdvert", 9: "SrvTypeRqst",
         10: "SrvTypeRply", 11: "SAAdvert"}


def parse(m: bytes):
    if m[0] not in (1, 2):
        return None
    if len(m) < 12:
        return MORE
    if m[1] not in FUNCS or (m[0] == 1 and m[1] == 11):
        return None
    if m[0] == 2:
        n = int.from_bytes(m[2:5], "big")
        if n != len(m) or int.from_bytes(m[5:7], "big") & 0x1FFF:
            return None                    # reserved flag bits are zero
        tl = int.from_bytes(m[12:14], "big") if len(m) >= 14 else 0
        tag = m[14:14 + tl]
        if not 1 <= tl <= 64 or not all(c == 0x2D or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A for c in tag):
            return None                    # RFC 1766 language tag: letters and dashes
        return {"version": 2, "function": FUNCS[m[1]], "lang": dec(tag)}
    n = int.from_bytes(m[2:4], "big")
    if n != len(m) or m[5] != 0 or not m[6:8].isalpha():
        return None                        # dialect 0, ISO 639 two-letter language
    return {"version": 1, "function": FUNCS[m[1]], "lang": dec(m[6:8])}


def probe(view, state):
    units = [d for d in list(view.datagrams_c2s[:2]) + list(view.datagrams_s2c[:2]) if d] \
        if view.transport == "udp" else [d for d in (view.payload_c2s, view.payload_s2c) if d]
    meta = parse_units(units, parse)
    if meta is NO or meta is MORE:
        return meta
    return match("slp", 1.0, **meta) if meta else MORE


SPEC = DetectorSpec(name="slp", transports=("udp", "tcp"), probe=probe, max_bytes=1500,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((1, 2)), s2c=frozenset((1, 2))))
