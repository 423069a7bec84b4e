"""DHCPv6 (RFC 8415) over UDP: message type 1-13 (or relay 12/13), 3-byte transaction id,
then options (code, length) that must tile the datagram exactly.
Metadata: message_type.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match

TYPES = {1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW",
         6: "REBIND", 7: "REPLY", 8: "RELEASE", 9: "DECLINE", 10: "RECONFIGURE",
         11: "INFORMATION-REQUEST", 12: "RELAY-FORW", 13: "RELAY-REPL"}


def parse(dg: bytes):
    if dg[0] not in TYPES:
        return None
    start = 34 if dg[0] in (12, 13) else 4       # relay: hop count + two addresses
    if len(dg) < start + 4:
        return MORE
    pos, codes = start, []
    while pos < len(dg):
        if pos + 4 > len(dg):
            return None
        code = int.from_bytes(dg[pos:pos + 2], "big")
        n = int.from_bytes(dg[pos + 2:pos + 4], "big")
        if code == 0 or code > 300 or pos + 4 + n > len(dg):
            return None                  # option 0 is reserved; options must fit
        codes.append(code)
        pos += 4 + n
    # Client/server messages carry a client or server identifier (options 1/2) or, for
    # relays, a relay message (9): an option list without one is a chance tiling.
    if not ({1, 2, 9} & set(codes)):
        return None
    return {"message_type": TYPES[dg[0]]}


def probe(view, state):
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if dg:
            r = parse(dg)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            return match("dhcpv6", 0.95, **r)
    return MORE


SPEC = DetectorSpec(name="dhcpv6", transports=("udp",), probe=probe, max_bytes=1500,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(TYPES), s2c=frozenset(TYPES)), max_confidence=0.95)
