"""LDAP (RFC 4511) over TCP, and CLDAP over UDP: LDAPMessage ::= SEQUENCE { messageID
INTEGER, protocolOp [APPLICATION n] }.  Metadata: operation, bind_dn / base_dn.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec, parse_units
from ._ber import MORE_NEEDED, integer, tlv

OPS = {0x60: "bindRequest", 0x61: "bindResponse", 0x42: "unbindRequest",
       0x63: "searchRequest", 0x64: "searchResEntry", 0x65: "searchResDone",
       0x73: "searchResRef", 0x66: "modifyRequest", 0x67: "modifyResponse",
       0x68: "addRequest", 0x69: "addResponse", 0x4A: "delRequest", 0x6B: "delResponse",
       0x6C: "modDNRequest", 0x6D: "modDNResponse", 0x6E: "compareRequest",
       0x6F: "compareResponse", 0x50: "abandonRequest", 0x77: "extendedRequest",
       0x78: "extendedResponse", 0x79: "intermediateResponse"}


def parse(msg: bytes):
    t = tlv(msg, 0)
    if t in (None, MORE_NEEDED):
        return t
    if t[0] != 0x30:
        return None                       # LDAPMessage is a SEQUENCE
    v = integer(msg, t[1])
    if v in (None, MORE_NEEDED):
        return v
    mid, pos = v
    if mid < 0:
        return None                      # messageID is 0..2^31-1
    op = tlv(msg, pos)
    if op in (None, MORE_NEEDED):
        return op
    if op[0] not in OPS:
        return None                       # protocolOp: the [APPLICATION n] of RFC 4511 4.2
    meta = {"operation": OPS[op[0]]}
    if op[0] in (0x60, 0x63):
        # bindRequest: version INTEGER then name; searchRequest: baseObject first.
        p = op[1]
        if op[0] == 0x60:
            vv = integer(msg, p)
            if vv in (None, MORE_NEEDED):
                return vv
            if vv[0] not in (2, 3):
                return None               # LDAP versions 2 and 3 only
            p = vv[1]
        s = tlv(msg, p)
        if s not in (None, MORE_NEEDED) and s[0] == 0x04:
            meta["bind_dn" if op[0] == 0x60 else "base_dn"] = dec(msg[s[1]:s[2]])
    return meta


def probe(view, state):
    units = (list(view.datagrams_c2s) + list(view.datagrams_s2c)) if view.transport == "udp" \
        else [view.payload_c2s, view.payload_s2c]
    meta = parse_units(units, parse, more=MORE_NEEDED)   # both directions carry LDAPMessages
    if meta is NO or meta is MORE:
        return meta
    return claim("ldap", 1.0, **meta) if meta else MORE


SPEC = DetectorSpec(name="ldap", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0x30,)), s2c=frozenset((0x30,))))
