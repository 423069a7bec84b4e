"""DNP3 over TCP/UDP (IEEE 1815): link-layer frames start 0x05 0x64, then length
(>= 5), control, destination and source (little-endian), and a CRC-16/DNP over the
8-byte header, which is verified.  Metadata: source, destination.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim


def _crc(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
    return ~crc & 0xFFFF


def frame(data: bytes):
    if len(data) < 2:
        return MORE if data == b"\x05" else None
    if data[:2] != b"\x05\x64":
        return None                       # the link-layer start octets
    if len(data) < 10:
        return MORE
    if data[2] < 5:
        return None                       # length covers at least control + addresses
    if int.from_bytes(data[8:10], "little") != _crc(data[:8]):
        return None                        # header CRC must verify: 1 in 65536 by chance
    return {"destination": int.from_bytes(data[4:6], "little"),
            "source": int.from_bytes(data[6:8], "little")}


def probe(view, state):
    units = [d for d in list(view.datagrams_c2s) + list(view.datagrams_s2c) if d] \
        if view.transport == "udp" else [d for d in (view.payload_c2s, view.payload_s2c) if d]
    more = bad = False
    for u in units:
        r = frame(u)
        if r is None:
            bad = True                     # one damaged direction; the CRC'd other decides
        elif r is MORE:
            more = True
        else:
            return claim("dnp3", 1.0, **r)
    return MORE if more or not units else NO


SPEC = DetectorSpec(name="dnp3", transports=("tcp", "udp"), probe=probe, max_bytes=256,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((5,)), s2c=frozenset((5,))))
