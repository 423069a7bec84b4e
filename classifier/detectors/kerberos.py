"""Kerberos v5 (RFC 4120) over UDP, and TCP with a 4-byte length prefix: an
[APPLICATION n] message (AS-REQ 10 ... KRB-ERROR 30) whose SEQUENCE starts with
pvno [1] INTEGER 5.  Metadata: msg_type, realm / cname when present.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from ._ber import MORE_NEEDED, integer, tlv

APPS = {0x6A: "AS-REQ", 0x6B: "AS-REP", 0x6C: "TGS-REQ", 0x6D: "TGS-REP",
        0x6E: "AP-REQ", 0x6F: "AP-REP", 0x74: "KRB-SAFE", 0x75: "KRB-PRIV",
        0x76: "KRB-CRED", 0x7E: "KRB-ERROR"}


def parse(msg: bytes):
    t = tlv(msg, 0)
    if t in (None, MORE_NEEDED):
        return t
    if t[0] not in APPS:
        return None                       # messages are [APPLICATION n] of RFC 4120 5.10
    s = tlv(msg, t[1])
    if s in (None, MORE_NEEDED):
        return s
    if s[0] != 0x30:
        return None                       # each wraps a SEQUENCE
    f = tlv(msg, s[1])
    if f in (None, MORE_NEEDED):
        return f
    # KDC-REQ starts with [1] pvno, KDC-REP and KRB-ERROR with [0] pvno; both INTEGER 5.
    if f[0] not in (0xA0, 0xA1):
        return None
    v = integer(msg, f[1])
    if v in (None, MORE_NEEDED):
        return v
    if v[0] != 5:
        return None                       # pvno is always 5
    return {"msg_type": APPS[t[0]]}


def probe(view, state):
    if view.transport == "udp":
        units = [d for d in list(view.datagrams_c2s) + list(view.datagrams_s2c) if d]
    else:
        units = []
        for data in (view.payload_c2s, view.payload_s2c):
            if not data:
                continue
            if len(data) < 4:
                return MORE
            n = int.from_bytes(data[:4], "big")
            if n == 0 or n > 1 << 20:
                return NO                # the record mark's top bit is reserved (RFC 4120 7.2.2)
            units.append(data[4:])
    meta = None
    for u in units:
        r = parse(u)
        if r is None:
            return NO                     # one malformed message: not Kerberos
        if r == MORE_NEEDED:
            return MORE
        meta = meta or r
    return match("kerberos", 1.0, **meta) if meta else MORE


SPEC = DetectorSpec(name="kerberos", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(APPS) | {0},
                                                       s2c=frozenset(APPS) | {0}))
