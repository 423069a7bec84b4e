"""RTCP (RFC 3550 6.4, RFC 4585) over UDP: version 2, packet type 200-207, and length
fields (32-bit words minus one) that chain compound packets exactly to the end of the
datagram.  Metadata: packet_types.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

PT = {200: "SR", 201: "RR", 202: "SDES", 203: "BYE", 204: "APP", 205: "RTPFB",
      206: "PSFB", 207: "XR"}


def parse(dg: bytes):
    pos, types = 0, []
    while pos < len(dg):
        if pos + 4 > len(dg):
            return None
        if dg[pos] >> 6 != 2 or dg[pos + 1] not in PT:
            return None
        n = (int.from_bytes(dg[pos + 2:pos + 4], "big") + 1) * 4
        if pos + n > len(dg):
            return None
        types.append(PT[dg[pos + 1]])
        pos += n
    # A compound packet starts with SR or RR (RFC 3550 6.1); single feedback packets
    # (RFC 5506 reduced-size) are accepted too.
    return types or None


def probe(view, state):
    c = view.datagrams_c2s
    if c:
        d = c[0]
        if len(d) >= 8 and (d[0] >> 6 != 2 or d[1] not in PT):
            return NO            # no parse below can start at its header: cheaply refused
    types = []
    for dg in list(view.datagrams_c2s[:3]) + list(view.datagrams_s2c[:3]):
        if not dg:
            continue
        if len(dg) < 8:
            return MORE if dg[0] >> 6 == 2 else NO
        t = parse(dg)
        if t is None:
            # SRTCP appends an encrypted-index + auth tag: try without the trailer.
            t = parse(dg[:-14]) or parse(dg[:-14 - 4]) if len(dg) > 30 else None
            if t is None:
                return NO
        types.extend(t)
    if not types:
        return MORE
    return claim("rtcp", 0.95, packet_types=sorted(set(types)))


SPEC = DetectorSpec(name="rtcp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(range(0x80, 0xC0)),
                                                       s2c=frozenset(range(0x80, 0xC0))), max_confidence=0.95,
                    # every datagram is >= 8 bytes and starts with a header: version 2
                    # and a packet type 200-207 (parse, and its SRTCP retry, start at 0)
                    gate=Gate(min_len=8, bytes=((0, 0xC0, 0x80, 0x80), (1, 0xFF, 200, 207))))
