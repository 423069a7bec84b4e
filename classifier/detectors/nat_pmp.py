"""NAT-PMP (RFC 6886 3) and its successor PCP (RFC 6887 7).  NAT-PMP: version 0; a
request is opcode 0 (external address: 2 bytes) or 1/2 (map UDP/TCP: 12 bytes, a zero
reserved word, internal and suggested external ports, lifetime); a response has
opcode 128 + the request's, a result code 0-5, the seconds since the epoch, then the
external address (12 bytes in all) or the ports and lifetime (16).  PCP: version 2,
the R bit and an opcode (0 ANNOUNCE, 1 MAP, 2 PEER), a 24-byte header (requests: a
zero reserved word, lifetime, the client's 16-byte address; responses: a result code
0-13, lifetime, epoch time, 12 zero bytes) and the opcode's payload (MAP 36 bytes,
PEER 56, ANNOUNCE none) before options.  Every datagram must be one of these with
its exact length; a request alone is tiny, so a flow needs a response, or else the
client's retransmissions: a client that hears nothing sends the very same request
again (RFC 6886 3.1 and 3.3, every 250 ms doubling; RFC 6887 8.1.1), so two or more
byte-identical map requests (NAT-PMP opcode 1/2 with a nonzero internal port, or a
PCP MAP/PEER request with its 12-byte nonce) make a weaker match (0.6).
Metadata: protocol ("nat-pmp" or "pcp"), opcode.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

PMP_OPS = {0: "external-address", 1: "map-udp", 2: "map-tcp"}
PCP_OPS = {0: "announce", 1: "map", 2: "peer"}
PCP_BODY = {0: 0, 1: 36, 2: 56}


def _pmp(d: bytes):
    op = d[1]
    if op in (0,) and len(d) == 2:
        return "request", op
    if op in (1, 2) and len(d) == 12 and d[2:4] == b"\x00\x00":
        return "request", op
    if op in (128, 129, 130) and len(d) >= 8:
        (result,) = struct.unpack_from(">H", d, 2)
        if result <= 5 and len(d) == (12 if op == 128 else 16):
            return "response", op - 128
    return None


def _pcp(d: bytes):
    if len(d) < 24 or len(d) > 1100 or len(d) % 4:
        return None
    r, op = d[1] >> 7, d[1] & 0x7f
    if op not in PCP_OPS:
        return None
    if r:
        if d[2] or d[3] > 13 or d[12:24] != b"\x00" * 12:
            return None
    elif d[2:4] != b"\x00\x00":
        return None
    if len(d) < 24 + PCP_BODY[op]:
        return None
    return ("response" if r else "request"), op


def _retransmitted(units) -> bool:
    """Unanswered: every datagram is one and the same map request, sent at least twice
    (NAT-PMP: opcode 1/2, internal port nonzero; PCP: MAP or PEER, not ANNOUNCE)."""
    if len(units) < 2 or any(d != units[0] for d in units):
        return False
    d = units[0]
    if d[0] == 0:
        return len(d) == 12 and d[1] in (1, 2) and d[4:6] != b"\x00\x00"
    return d[0] == 2 and not d[1] & 0x80 and d[1] & 0x7f in (1, 2)


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 2, first=frozenset({0, 2}))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    kinds, first = set(), None
    for d in units:
        if len(d) < 2:
            return NO
        r = _pmp(d) if d[0] == 0 else _pcp(d) if d[0] == 2 else None
        if r is None:
            return NO
        kinds.add(r[0])
        first = first or (d[0], r[1])
    if "response" not in kinds:
        if _retransmitted(units):
            version, op = first
            return claim("nat-pmp", 0.6, protocol="nat-pmp" if version == 0 else "pcp",
                         opcode=(PMP_OPS if version == 0 else PCP_OPS)[op])
        return MORE
    version, op = first
    proto = "nat-pmp" if version == 0 else "pcp"
    return claim("nat-pmp", 0.85 if len(kinds) == 2 else 0.7, protocol=proto,
                 opcode=(PMP_OPS if version == 0 else PCP_OPS)[op])


SPEC = DetectorSpec(name="nat-pmp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0, 2}), s2c=frozenset({0, 2})),
                    max_confidence=0.85,
                    # every whole datagram: version 0 (NAT-PMP) or 2 (PCP), an opcode 0-2 with
                    # or without the response bit (NAT-PMP 128-130, PCP's R bit)
                    gate=Gate(whole=True, min_len=2, bytes=((0, 0xFD, 0, 0), (1, 0x7C, 0, 0))))
