"""Threema's chat server protocol over TCP (Threema Cryptography Whitepaper, "Chat
Protocol (Message Transport Layer)"; the open-source client o3ma/o3, its handshake in
communicationhandler.go and packettypes.go; nDPI's threema.c).  Every byte is NaCl
ciphertext, a public key or a random cookie: only the sizes and the framing are
structure.

* client hello, 48 bytes: the client's temporary public key (32) and its cookie (16);
* server hello, 80 bytes: the server's cookie (16) and a box (64) holding its temporary
  key and the client's cookie;
* the client's login (authentication) box: 144 bytes in o3 and the whitepaper's era,
  191 in today's clients (nDPI's threema.c requires 191 as the third packet);
* the server's login acknowledgement, a 32-byte box (o3 reads exactly 32);
* then, both ways, frames: a u16 little-endian length and that many bytes of box (at
  least 20: a 4-byte packet type and the 16-byte MAC) -- nDPI checks "length + 2 ==
  packet length" from the fifth packet on.

This detector requires the hellos' sizes (and, where the view carries packet sizes as
the product's does, that they are the first packets of each side, the login the
client's second), a login of one of the two sizes, and frames after the handshake
whose lengths are at least 20 and of which one ends exactly where a packet (or the
bytes seen) ends -- a chance of about 2^-16 per boundary for random bytes.  Sizes and
one length field are all there is, so the confidence is 0.8.
Metadata: login (the login box's size).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

CLIENT_HELLO, SERVER_HELLO, LOGIN_ACK = 48, 80, 32
LOGINS = (191, 144)            # today's clients (nDPI), o3 and the whitepaper's era
MIN_FRAME = 20                 # a 4-byte packet type in a box (16-byte MAC)


def _sizes(view, direction: int):
    """The data packets' sizes of one direction, in order ([] when the view has none)."""
    return [n for d, n in zip(view.pkt_dirs, view.pkt_sizes) if d == direction and n]


def _frames(data: bytes, start: int, ends) -> object:
    """Walk the frames from data[start:]: True when one ends exactly at a boundary in
    `ends` (or at the end of the bytes seen), NO on a frame shorter than a box, else MORE."""
    pos = start
    while pos + 2 <= len(data):
        n = int.from_bytes(data[pos:pos + 2], "little")
        if n < MIN_FRAME:
            return NO
        pos += 2 + n
        if pos == len(data) or pos in ends:
            return True
    return MORE


def _boundaries(sizes) -> set:
    out, total = set(), 0
    for n in sizes:
        total += n
        out.add(total)
    return out


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE           # the client speaks first
    cs, ss = _sizes(view, 0), _sizes(view, 1)
    if cs and cs[0] != CLIENT_HELLO or ss and ss[0] != SERVER_HELLO:
        return NO                          # the hellos are each side's first packet
    if len(cs) > 1 and cs[1] not in LOGINS:
        return NO
    if len(c) < CLIENT_HELLO:
        return MORE
    if not s:
        return MORE
    if len(c) == CLIENT_HELLO or len(s) < SERVER_HELLO + LOGIN_ACK:
        return MORE
    logins = [cs[1]] if len(cs) > 1 else list(LOGINS)
    s_end = _boundaries(ss)
    server = _frames(s, SERVER_HELLO + LOGIN_ACK, s_end)
    if server is NO:
        return NO
    c_end = _boundaries(cs)
    outcome, login = NO, None
    for size in logins:
        start = CLIENT_HELLO + size
        if len(c) < start:
            if outcome is NO:
                outcome = MORE
            continue
        client = MORE if len(c) == start else _frames(c, start, c_end)
        if client is NO:
            continue
        if client is True or server is True:
            return claim("threema", 0.8, login=size)
        outcome = MORE
    return outcome


SPEC = DetectorSpec(name="threema", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=12, prefilter=Prefilter(any=True), max_confidence=0.8)
