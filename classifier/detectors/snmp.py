"""SNMP v1/v2c/v3 (RFC 1157, 3416, 3412) over UDP: a BER SEQUENCE holding the version
INTEGER (0, 1 or 3), then a community OCTET STRING and a PDU with context tag
0xA0-0xA8 (v1/v2c), or the v3 header SEQUENCE.  Metadata: version, community, pdu.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec
from ._ber import MORE_NEEDED, integer, tlv

PDUS = {0xA0: "get", 0xA1: "get-next", 0xA2: "response", 0xA3: "set", 0xA4: "trap",
        0xA5: "get-bulk", 0xA6: "inform", 0xA7: "trapv2", 0xA8: "report"}


def parse(msg: bytes):
    t = tlv(msg, 0)
    if t in (None, MORE_NEEDED):
        return t
    tag, s, e = t
    if tag != 0x30:
        return None                       # every SNMP message is a BER SEQUENCE
    v = integer(msg, s)
    if v in (None, MORE_NEEDED):
        return v
    ver, pos = v
    if ver not in (0, 1, 3):
        return None                       # v1 = 0, v2c = 1, v3 = 3; 2 (v2u/v2*) never deployed
    if ver == 3:
        h = tlv(msg, pos)
        if h in (None, MORE_NEEDED):
            return h
        return {"version": "3"} if h[0] == 0x30 else None
    c = tlv(msg, pos)
    if c in (None, MORE_NEEDED):
        return c
    if c[0] != 0x04 or c[2] - c[1] > 255:
        return None                       # the community is an OCTET STRING, short in practice
    if c[2] >= len(msg):
        return MORE_NEEDED
    pdu = msg[c[2]]
    if pdu not in PDUS:
        return None                       # PDUs are context tags [0]..[8]
    return {"version": ("1", "2c")[ver], "community": dec(msg[c[1]:c[2]], 64),
            "pdu": PDUS[pdu]}


def probe(view, state):
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c) or [view.payload_c2s]:
        if not dg:
            continue
        r = parse(dg)
        if r is None:
            return NO                     # the first message decides: SNMP flows carry only SNMP
        if r == MORE_NEEDED:
            return MORE
        return claim("snmp", 1.0, **r)
    return MORE


SPEC = DetectorSpec(name="snmp", transports=("udp",), probe=probe, max_bytes=1500,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0x30,)), s2c=frozenset((0x30,))))
