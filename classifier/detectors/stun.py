"""STUN / TURN (RFC 5389/8489, classic RFC 3489) over UDP or TCP.

20-byte header: type (top two bits zero), length (multiple of 4, equal to the rest of
the message), magic cookie 0x2112A442 (absent in RFC 3489), 96-bit transaction id;
attributes as TLVs padded to 4 bytes.  TURN ChannelData (0x4000-0x7FFF channel) is
accepted only after a STUN message was seen.  Metadata: method, software, username.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

COOKIE = b"\x21\x12\xa4\x42"
METHODS = {1: "binding", 3: "allocate", 4: "refresh", 6: "send", 7: "data",
           8: "create-permission", 9: "channel-bind", 0xA: "connect",
           0xB: "connection-bind", 0xC: "connection-attempt"}


# parse(msg, exact=True) -> metadata dict, None or MORE: 20-byte header checks, the
# length equal to the rest (exact: one message per datagram), the attribute walk;
# probe(view, state): every datagram (UDP: the first four of each side) or direction
# (TCP, RFC 4571 framing unwrapped) parsed, one STUN message makes the match (0.9, or
# 0.7 when other datagrams are not STUN: DTLS or media after ICE, RFC 7983).
# Compiled: stun.pxi.
parse = _fast.stun_parse
probe = _fast.stun_probe


SPEC = DetectorSpec(name="stun", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0, 0x40)),
                                                       s2c=frozenset(range(0, 0x40))),
                    max_confidence=0.9,
                    # UDP: a lone datagram must be one whole STUN message (stun.pxi
                    # _stun_parse, exact): type's top bits 0, length = the datagram's - 20
                    gate=Gate(lone=True, min_len=20, length=(2, 2, 20), bytes=((0, 0xc0, 0, 0),)))
