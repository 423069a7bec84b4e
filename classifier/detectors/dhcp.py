"""DHCP (RFC 2131) / BOOTP over UDP: op 1/2, hardware length <= 16, the magic cookie
63 82 53 63 at offset 236, then options.  Metadata: message_type, hostname, vendor_class.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match

COOKIE = b"\x63\x82\x53\x63"
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
         7: "RELEASE", 8: "INFORM"}


def parse(dg: bytes):
    if dg[0] not in (1, 2):
        return None                       # op is BOOTREQUEST (1) or BOOTREPLY (2)
    if len(dg) < 240:
        return MORE
    if dg[2] > 16 or dg[236:240] != COOKIE:
        return None                       # plain BOOTP without cookie is not reported
    meta, pos = {}, 240
    while pos < len(dg):
        t = dg[pos]
        if t == 0xFF:
            break
        if t == 0:
            pos += 1
            continue
        if pos + 2 > len(dg):
            break
        n = dg[pos + 1]
        v = dg[pos + 2:pos + 2 + n]
        if t == 53 and n == 1:
            meta["message_type"] = TYPES.get(v[0], str(v[0]))
        elif t == 12:
            meta["hostname"] = dec(v)
        elif t == 60:
            meta["vendor_class"] = dec(v)
        pos += 2 + n
    return meta


def probe(view, state):
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if dg:
            r = parse(dg)
            if r is None:
                return NO                 # the first datagram decides: DHCP flows carry only DHCP
            if r is MORE:
                return MORE
            return match("dhcp", 1.0, **r)
    return MORE


SPEC = DetectorSpec(name="dhcp", transports=("udp",), probe=probe, max_bytes=1500,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset((1, 2)), s2c=frozenset((1, 2))))
