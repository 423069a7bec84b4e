"""imo.im's UDP calls (relay and peer-to-peer).  imo publishes no wire format; nDPI's
dissector (ntop/nDPI src/lib/protocols/imo.c) names a flow from one datagram of three
shapes: 10 bytes starting 0x09 0x02, 11 bytes starting 0x00 0x09 0x03, 1099 bytes
starting 0x88 0x49 0x1a 0x00 (and two consecutive one-byte datagrams alike).  Each of
the three is a length field followed by a body: 0x09 is the 9 bytes that follow it,
0x00 0x09 the same behind a zero byte (the relay's datagrams), 0x88 0x49 a big-endian
base-128 number (high bit: more digits follow) worth 1097, the bytes that follow it;
the bodies start with a type (0x02, 0x03, 0x1a).

This detector takes that framing -- an optional 0x00, a base-128 length equal to the
rest of the datagram, a body of at least two bytes -- and requires, among the first
datagrams of the flow (one-byte datagrams aside: imo's probes), one of nDPI's three
shapes, at least three framed datagrams in all, and at least two thirds of them framed.
A length byte that matches the datagram's size is a chance of about 1/256 for random
bytes; three of them and a shape make about 2^-40.  Confidence 0.7: the framing is
read from nDPI's constants and checked on its test capture, not documented by imo.
Metadata: shape (the nDPI shape seen: "ping", "relay-pong" or "media").
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

SHAPES = ((10, b"\x09\x02", "ping"), (11, b"\x00\x09\x03", "relay-pong"),
          (1099, b"\x88\x49\x1a\x00", "media"))
MIN_FRAMED = 3
MAX_BYTES = 2048


def _length(d: bytes, at: int):
    """(value, end) of the base-128 length at d[at], or None (at most 3 digits)."""
    value = 0
    for i in range(at, min(at + 3, len(d))):
        b = d[i]
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, i + 1
    return None


def _framed(d: bytes) -> bool:
    for at in (0, 1) if d[0] == 0 else (0,):
        r = _length(d, at)
        if r and r[0] >= 2 and r[1] + r[0] == len(d):
            return True
    return False


def _shape(d: bytes):
    for size, head, name in SHAPES:
        if len(d) == size and d.startswith(head):
            return name
    return None


def _whole(side) -> list:
    """A direction's datagrams of more than one byte, less the last one when the byte
    budget may have cut it (the engine keeps MAX_BYTES of each direction)."""
    if sum(map(len, side)) >= MAX_BYTES:
        side = side[:-1]
    return [d for d in side if len(d) > 1]


def probe(view, state):
    dgs = _whole(view.datagrams_c2s) + _whole(view.datagrams_s2c)
    shape = next((n for n in map(_shape, dgs) if n), None)
    framed = sum(1 for d in dgs if _framed(d))
    if 3 * framed < 2 * len(dgs):
        return NO if len(dgs) >= MIN_FRAMED else MORE
    if shape is None or framed < MIN_FRAMED:
        return MORE
    return claim("imo", 0.7, shape=shape)


SPEC = DetectorSpec(name="imo", transports=("udp",), probe=probe, max_bytes=MAX_BYTES, max_packets=6,
                    prefilter=Prefilter(any=True), max_confidence=0.7,
                    gate=Gate(units=2))
