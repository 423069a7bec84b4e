"""Viber (Rakuten Viber) messaging and calls.  Viber publishes no wire format; what is
public is nDPI's dissector (ntop/nDPI src/lib/protocols/viber.c, the 2018 version for
UDP and the current one for TCP), whose byte rules this detector takes and tightens:

* TCP, the client's first message: a packet of at least 11 bytes whose first two bytes
  are its own length (u16 little endian), bytes 6-7 0xfc 0xff and byte 9 0x80 (viber.c's
  first TCP rule).  Its second rule (bytes 4-5 0x03 0x80, byte 10 0x0a, same length
  field) is what the server's messages show: when the server has answered, its first
  message must have the same length framing and bytes 4-5 0x03 0x80 (it may share its
  packet with the next ones).  The client's "own length" is checked against its first
  packet's size where the view carries packet sizes (the product's), else against the
  client's bytes being whole messages so framed (a view built without sizes: the
  suite's, a stream delivered in fragments).
* UDP: a message type u16 little endian at bytes 2-3, and viber.c's shapes for the
  client's first datagram: type 1 followed by 0x05 0x00, type 3, type 9 in a 20-byte
  datagram, types 0x19 and 0x1b in a 34-byte datagram.  These are two or three known
  bytes, so the detector also requires the server to have answered and every datagram
  it sees (both directions) to start with the same two bytes as the client's first
  one and to have a type below 256 (byte 3 zero): a per-flow tag that all Viber media
  and signalling datagrams of nDPI's test capture carry (observed there, not
  documented), which random or other protocols' datagrams share with a chance of about
  2^-24 per datagram.

The old rule "first byte 0x11 in a datagram under 135 bytes" (viber.c 2013) is one byte
and is not used.  Confidence 0.8 (undocumented protocol, a few fixed bytes and
structure), also when the server's answer agrees: a ceiling of 0.8 keeps this
any-first-byte detector from being probed on flows already named at 0.8 or more.
Metadata: kind (for UDP the client's first message type, e.g. "type-1").
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MAX_MESSAGE = 1024             # the TCP rules' messages seen so far are tens of bytes
UDP_SHAPES = {1: None, 3: None, 9: 20, 0x19: 34, 0x1B: 34}   # type -> required length


def _first_packet(view, direction: int):
    """Size of a direction's first data packet, or None when the view has no sizes."""
    for d, size in zip(view.pkt_dirs, view.pkt_sizes):
        if d == direction and size:
            return size
    return None


def _tcp_message(data: bytes, view=None):
    """The first length-framed message of a direction: bytes, MORE, or None.  With a
    view (the client's side), the message is its first packet, whole and alone."""
    if len(data) < 2:
        return MORE
    size = int.from_bytes(data[0:2], "little")
    if not 11 <= size <= MAX_MESSAGE:
        return None
    packet = _first_packet(view, 0) if view is not None else None
    if packet is not None and packet != size:
        return None            # viber.c: the length is the packet's own
    if len(data) < size:
        return MORE
    if view is not None and packet is None:
        # no sizes: the client's bytes must be whole length-framed messages
        pos = size
        while pos + 2 <= len(data):
            n = int.from_bytes(data[pos:pos + 2], "little")
            if n < 4:
                return None
            pos += n
        if pos != len(data):
            return MORE        # a message still arriving
    return data[:size]


def _tcp(view):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE           # the client speaks first
    m = _tcp_message(c, view)
    if m is None or m is MORE:
        return NO if m is None else MORE
    if m[6:8] != b"\xfc\xff" or m[9] != 0x80:
        return NO
    if not s:
        return claim("viber", 0.8, kind="tcp")
    a = _tcp_message(s)        # the server may send several in a packet
    if a is MORE:
        return MORE
    if a is None or a[4:6] != b"\x03\x80":
        return NO
    return claim("viber", 0.8, kind="tcp")


def _udp(view):
    c, s = _units.nonempty(view)
    if not c:
        return NO if s else MORE           # the client's first datagram carries the shape
    first = c[0]
    if len(first) < 6:
        return MORE if len(first) < 4 and len(c) == 1 and not s else NO
    kind = int.from_bytes(first[2:4], "little")
    if kind not in UDP_SHAPES:
        return NO
    need = UDP_SHAPES[kind]
    if need is not None and len(first) != need:
        return NO
    if kind == 1 and first[4:6] != b"\x05\x00":
        return NO
    tag = first[:2]
    varied = False
    for d in c[1:] + s:
        if len(d) < 4 or d[:2] != tag or d[3] != 0:
            return NO
        varied = varied or d[2] != first[2]
    if not s:
        return MORE                        # a lone datagram is too few known bytes
    if not varied:
        # The same four bytes on every datagram are a constant header (a session id),
        # not Viber's messages: in nDPI's capture the server answers with another type
        # (1 -> 9, 0x19 -> 0x1a); a game's datagrams joined mid-flow matched otherwise.
        return NO
    return claim("viber", 0.8, kind=f"type-{kind}")


def probe(view, state):
    return _udp(view) if view.transport == "udp" else _tcp(view)


SPEC = DetectorSpec(name="viber", transports=("tcp", "udp"), probe=probe, max_bytes=MAX_MESSAGE,
                    max_packets=4, prefilter=Prefilter(any=True), max_confidence=0.8,
                    # the client's first datagram: a type of viber.c's list, byte 3 zero
                    gate=Gate(units=2, c2s_only=True, min_len=6,
                              bytes=((2, 0xff, 1, 0x1B), (3, 0xff, 0, 0))),
                    # TCP: the client's first message, 11 bytes or more, fc ff at 6 and 0x80 at 9
                    tcp_gate=Gate(c2s_only=True, min_len=11, bytes=(
                        (1, 0xFF, 0, MAX_MESSAGE >> 8), (6, 0xFF, 0xFC, 0xFC), (7, 0xFF, 0xFF, 0xFF),
                        (9, 0xFF, 0x80, 0x80))))
