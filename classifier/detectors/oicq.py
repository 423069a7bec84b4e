"""OICQ, Tencent QQ's UDP protocol (0x02 ... 0x03 framing).  Public descriptions
(Wireshark's packet-oicq.c, the Net::OICQ Perl module) give every datagram the same
envelope: a start flag 0x02, the client's protocol version (u16 BE), a command (u16
BE), a sequence number (u16 BE); the client then puts its QQ number (u32 BE) and an
encrypted body; the datagram ends with the tail flag 0x03.  Either side may be seen
first (the client sends login/keep-alive datagrams that may go unanswered).

This detector relies on the whole envelope of every datagram of the flow: the 0x02
head, the 0x03 tail, a non-zero version, a command among the documented ones
(0x0001-0x00b5, and 0x03f7), and a datagram long enough to hold the header, the QQ
number (client side) and the tail.  Three constrained bytes and a range per datagram
are short magic, hence a confidence below 1.
Metadata: version (hex, the client build), command (decimal).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

HEAD, TAIL = 0x02, 0x03
MIN_CLIENT = 7 + 4 + 1            # header, QQ number, tail
MIN_SERVER = 7 + 1                # header, tail (no QQ number in the server's replies)
MAX_COMMAND = 0x00b5              # the highest command of the documented range
EXTRA_COMMANDS = frozenset((0x03f7,))


def _envelope(dg: bytes, minimum: int):
    """(version, command) when dg is one OICQ datagram, MORE when it is a short
    prefix of one (a capture cut it), None otherwise."""
    if dg[0] != HEAD:
        return None
    if len(dg) < 7:
        return MORE
    version = int.from_bytes(dg[1:3], "big")
    command = int.from_bytes(dg[3:5], "big")
    if version == 0:
        return None                   # every QQ build has a version number
    if not (1 <= command <= MAX_COMMAND or command in EXTRA_COMMANDS):
        return None
    if len(dg) < minimum:
        return MORE
    if dg[-1] != TAIL:
        return None                   # the tail flag ends every datagram
    return version, command


def probe(view, state):
    first = None
    for side, dgs in ((0, view.datagrams_c2s), (1, view.datagrams_s2c)):
        for dg in dgs:
            if not dg:
                continue
            r = _envelope(dg, MIN_CLIENT if side == 0 else MIN_SERVER)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            first = first or r
    if first is None:
        return MORE
    version, command = first
    return claim("oicq", 0.8, version=f"0x{version:04x}", command=command)


SPEC = DetectorSpec(name="oicq", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((HEAD,)), s2c=frozenset((HEAD,))),
                    max_confidence=0.8)
