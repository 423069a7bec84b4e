"""sFlow version 5 (sflow.org sFlow Version 5 specification): an agent sends datagrams
only: version 5, agent address type (1 IPv4, 2 IPv6) and address, sub-agent id,
sequence number, uptime, the number of samples, then exactly that many samples, each a
data format (20-bit enterprise, 12-bit format: 1 flow, 2 counters, 3 expanded flow,
4 expanded counters for enterprise 0) and a length, tiling the datagram.
Metadata: version, samples.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim


def _parse(d: bytes):
    if len(d) < 28:
        return None
    ver, atype = struct.unpack_from(">II", d, 0)
    if ver != 5 or atype not in (1, 2):
        return None
    off = 8 + (4 if atype == 1 else 16) + 12
    if len(d) < off + 4:
        return None
    (n,) = struct.unpack_from(">I", d, off)
    off += 4
    if n == 0 or n > 256:
        return None
    for _ in range(n):
        if len(d) < off + 8:
            return None
        fmt, slen = struct.unpack_from(">II", d, off)
        if fmt >> 12 == 0 and fmt & 0xfff not in (1, 2, 3, 4):
            return None
        if slen % 4 or off + 8 + slen > len(d):
            return None
        off += 8 + slen
    return n if off == len(d) else None


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 28, head=b"\x00\x00\x00\x05")
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    samples = None
    for d in units:
        n = _parse(d)
        if n is None:
            return NO
        samples = samples or n
    return claim("sflow", 0.9, version=5, samples=samples)


SPEC = DetectorSpec(name="sflow", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.9,
                    # every whole datagram: 28 bytes or more, version 5, address type 1 or 2
                    gate=Gate(whole=True, min_len=28, bytes=(
                        (0, 0xFF, 0, 0), (1, 0xFF, 0, 0), (2, 0xFF, 0, 0), (3, 0xFF, 5, 5),
                        (4, 0xFF, 0, 0), (5, 0xFF, 0, 0), (6, 0xFF, 0, 0), (7, 0xFF, 1, 2))))
