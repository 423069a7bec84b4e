"""Community ID v1 (https://github.com/corelight/community-id-spec): the flow hash that
Zeek, Suricata, Elastic (network.community_id) and Arkime join one flow on.

Every output record carries it as `community_id` (schema.FLOW_EXTRA); the batch path
computes it in compiled code (classifier/_records.pyx), this is the Python original
for one flow (eve, tests) and for records that lack it.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import struct

IP_PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132}


def community_id(transport: str, src: str, dst: str, sport: int, dport: int, seed: int = 0):
    """"1:<base64 SHA-1>" for a TCP, UDP or SCTP flow; None for other transports (the
    ICMP variant needs type and code, which the records do not keep)."""
    proto = IP_PROTO_NUMBERS.get(transport)
    if proto not in (6, 17, 132) or sport is None or dport is None:
        return None
    try:
        a, b = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    except ValueError:
        return None
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport      # the smaller endpoint first
    digest = hashlib.sha1(struct.pack(">H", seed) + a + b + struct.pack(">BBHH", proto, 0, sport, dport)).digest()
    return "1:" + base64.b64encode(digest).decode()
