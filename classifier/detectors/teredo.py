"""Teredo (RFC 4380): IPv6 packets carried in UDP, optionally behind an authentication
indicator (0x0001, client-id length, auth-value length, the id, the value, an 8-byte
nonce and a confirmation byte; 5.1.1) and/or an origin indication (0x0000, the
obfuscated port and IPv4 address; 5.1.1).  What follows must be an IPv6 header
(version 6) whose payload length is exactly the rest of the datagram and whose next
header is a real one; a bubble is such a header with next header 59 and no payload.
Metadata: kinds (which of "auth", "origin", "bubble", "ipv6" were seen), next_header.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

# next headers seen in Teredo: hop-by-hop, TCP, UDP, routing, fragment, ESP, ICMPv6,
# no next header, destination options.
NEXT_HEADERS = frozenset({0, 6, 17, 43, 44, 50, 58, 59, 60})


def _parse(d: bytes):
    off, kinds = 0, []
    if d[:2] == b"\x00\x01":                    # authentication indicator
        if len(d) < 4:
            return None
        off = 4 + d[2] + d[3] + 8 + 1
        kinds.append("auth")
    if d[off:off + 2] == b"\x00\x00":           # origin indication
        off += 8
        kinds.append("origin")
    ip = d[off:]
    if len(ip) < 40 or ip[0] >> 4 != 6:
        return None
    plen, nh = struct.unpack_from(">HB", ip, 4)
    if plen != len(ip) - 40 or nh not in NEXT_HEADERS:
        return None
    if nh == 59 and plen == 0:
        kinds.append("bubble")
    else:
        kinds.append("ipv6")
    return kinds, nh


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE                   # nothing, or one datagram perhaps cut short
    short = _dgram.too_short(units, 40, first=frozenset(range(0x60, 0x70)) | {0})
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    kinds, nh = [], None
    for d in units:
        r = _parse(d)
        if r is None:
            return NO
        kinds.extend(r[0])
        if nh is None and r[1] != 59:
            nh = r[1]
    return claim("teredo", 0.9, kinds=",".join(dict.fromkeys(kinds)), next_header=nh)


SPEC = DetectorSpec(name="teredo", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(range(0x60, 0x70)) | {0},
                                                       s2c=frozenset(range(0x60, 0x70)) | {0}),
                    max_confidence=0.9,
                    # A lone whole datagram (a cut one is never judged) is an IPv6 header
                    # whose payload length is the rest and whose next header is <= 60, or
                    # starts with an authentication indicator (0x0001) or an origin
                    # indication (0x0000); every datagram is >= 40 bytes.
                    gate=(Gate(lone=True, min_len=40, length=(4, 2, 40),
                               bytes=((0, 0xF0, 0x60, 0x60), (6, 0xFF, 0, 60))),
                          Gate(lone=True, min_len=40, bytes=((0, 0xFF, 0, 0), (1, 0xFF, 0, 1)))))
