"""ZUG: the UDP datagrams nDPI names "ZUG Consensus Protocol" (nDPI's zug.c, added by
ntop/nDPI pull request #2458 with a capture of single datagrams to port 19000).

What is public about them is nDPI's check and nothing else: zug.c claims a datagram
whose first four bytes are 00 7a 55 47 (its comment reads them as "\\x00ZUG") and whose
fifth is 0x10.  Read as fields, those bytes are a big-endian u16 equal to the datagram's
length (0x007a = 122, the size of every datagram of that capture) followed by "UG" and
0x10; nDPI's constant therefore only matches 122-byte datagrams.  This detector reads
the header as such fields:

    length (u16, big endian: the whole datagram, this field included)
    | "UG" (55 47) | 0x10 | the rest (opaque)

so it also names a datagram of another size with the same header (the capture holds
one, 410 bytes with length 0x019a, that nDPI leaves unknown).  Casper's own node
(casper-network/casper-node, where Zug is a consensus protocol, pull request #3419)
talks to its peers over TCP and TLS (node/src/components/network/transport.rs: a
Juliet-multiplexed TLS stream), so nothing public ties this UDP header to Casper: the
name is nDPI's, kept so that both tools call the same traffic the same.

Every datagram the probe sees whole must carry the header with its exact length.  Three
constant bytes and a length equal to the datagram's size make a single datagram
fairly convincing (0.8, not more: the layout is known from one capture only); two or
more datagrams that all agree, 0.9.  A datagram shorter than the header is awaited when
it is the flow's only one.
Metadata: datagrams (how many whole datagrams carried the header).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

HEAD = b"UG\x10"       # bytes 2..4 after the length
MIN_LEN = 6            # the 5-byte header and at least one byte of body
_CAP = 4096            # the byte budget (SPEC.max_bytes), the flow table's cap too


def _datagram(d: bytes):
    """True for a whole datagram with the header, MORE for a possible prefix of one
    (shorter than MIN_LEN), None otherwise."""
    if len(d) < MIN_LEN:
        # what is there must be a start of the header: a length that can still be
        # reached is any value, the constant bytes must agree
        return MORE if HEAD.startswith(d[2:5]) else None
    if int.from_bytes(d[:2], "big") != len(d) or d[2:5] != HEAD:
        return None
    return True


def probe(view, state):
    """Each direction's datagrams: every one the header with its exact length (a
    direction's first datagram always, the last one left out when the byte budget may
    have cut it)."""
    dgs = []
    for side in (view.datagrams_c2s, view.datagrams_s2c):
        side = [d for d in side if d]
        if len(side) > 1 and sum(len(d) for d in side) >= _CAP:
            side = side[:-1]             # the byte budget may have cut the last one
        dgs.extend(side)
    if not dgs:
        return MORE
    whole = 0
    for d in dgs:
        r = _datagram(d)
        if r is None:
            return NO
        if r is MORE:
            return MORE if len(dgs) == 1 else NO
        whole += 1
    return claim("zug", 0.9 if whole >= 2 else 0.8, datagrams=whole)


# The first byte is the length's high byte: the flow table keeps at most 4096 bytes of
# a datagram (classifier/flows.py), so a datagram the probe can match opens with
# 0x00-0x0f.  The gate refuses in compiled code what the header forbids: "UG" 0x10 at
# offset 2 and the length field equal to the datagram's size.
SPEC = DetectorSpec(name="zug", transports=("udp",), probe=probe, max_bytes=_CAP,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0x10)),
                                                       s2c=frozenset(range(0x10))),
                    max_confidence=0.9,
                    gate=Gate(min_len=MIN_LEN, bytes=((0, 0xff, 0x00, 0x0f), (2, 0xff, 0x55, 0x55),
                                                      (3, 0xff, 0x47, 0x47), (4, 0xff, 0x10, 0x10)),
                              length=(0, 2, 0)))
