"""IKE / ISAKMP (RFC 2408, IKEv2 RFC 7296) over UDP, including the NAT-T form with a
4-byte zero "non-ESP marker" (RFC 3948).  Header: initiator SPI (never zero), responder
SPI, next payload, version 0x10 or 0x20, exchange type, flags, message id, length equal
to the message.  NAT-T keepalives (one 0xFF byte) are accepted alongside.
Metadata: ike_version, exchange.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match

EXCH_V1 = {0: "none", 1: "base", 2: "identity-protection", 3: "auth-only",
           4: "aggressive", 5: "informational", 32: "quick-mode", 33: "new-group"}
EXCH_V2 = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}


def parse(dg: bytes):
    if dg[:4] == b"\x00\x00\x00\x00" and len(dg) > 4:
        dg = dg[4:]                       # NAT-T non-ESP marker
    if len(dg) < 28:
        return MORE if len(dg) < 28 and len(dg) > 1 else None
    if dg[0:8] == b"\x00" * 8:
        return None                       # the initiator SPI is never zero
    np, ver, ex = dg[16], dg[17], dg[18]
    n = int.from_bytes(dg[24:28], "big")
    if n != len(dg):
        return None
    if ver == 0x10 and ex in EXCH_V1 and np <= 20:
        return {"ike_version": 1, "exchange": EXCH_V1[ex]}
    if ver == 0x20 and ex in EXCH_V2 and (np == 0 or 33 <= np <= 53):
        return {"ike_version": 2, "exchange": EXCH_V2[ex]}
    return None


def probe(view, state):
    meta = None
    others = 0
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg or dg == b"\xff":
            continue                       # NAT-T keepalive
        r = parse(dg)
        if r is MORE:
            return MORE
        if r is None:
            # ESP-in-UDP data packets share the 5-tuple after the exchange.
            others += 1
            continue
        meta = meta or r
    if meta:
        return match("ike", 1.0, **meta)
    # One odd datagram may be an unparsed extension; two without any IKE header is not IKE.
    return NO if others >= 2 else MORE


SPEC = DetectorSpec(name="ike", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(any=True))
