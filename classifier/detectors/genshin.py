"""Genshin Impact (miHoYo): the game client reaches its gate server over KCP behind a
20-byte connect handshake of its own (documented by the open-source server emulators,
e.g. Grasscutter's KCP handshake; nDPI's genshin_impact.c checks the client's):

    client  u32 0x000000ff | u32 conv 0 | u32 token | u32 1234567890 | u32 0xffffffff
    server  u32 0x00000145 | u32 conv   | u32 token | u32 1234567890 | u32 0x14514545

(big endian).  Either message, whole and exactly 20 bytes, is a match: eight fixed
bytes at both ends and the 1234567890 constant between them.  Confidence 0.9; 1.0 when
the server's answer follows the client's.  Metadata: conv (hex, from the server).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

CONST = (1234567890).to_bytes(4, "big")
CONNECT = (b"\x00\x00\x00\xff", b"\xff\xff\xff\xff")
ACCEPT = (b"\x00\x00\x01\x45", b"\x14\x51\x45\x45")


def _template(head: bytes, conv, tail: bytes):
    """The 20 bytes of a handshake message, None where a byte is free."""
    return list(head) + (list(conv) if conv else [None] * 4) + [None] * 4 + list(CONST) + list(tail)


TEMPLATES = (("connect", _template(CONNECT[0], b"\x00" * 4, CONNECT[1])),   # no conversation yet
             ("accept", _template(ACCEPT[0], None, ACCEPT[1])))


def _kind(d: bytes):
    """"connect" / "accept" for a handshake datagram, MORE for a prefix, or None."""
    if len(d) > 20:
        return None
    for name, tmpl in TEMPLATES:
        if all(t is None or b == t for b, t in zip(d, tmpl)):
            return name if len(d) == 20 else MORE
    return None


def probe(view, state):
    c = [d for d in view.datagrams_c2s if d]
    s = [d for d in view.datagrams_s2c if d]
    first = c[:1] + s[:1]
    if not first:
        return MORE
    kinds = [_kind(d) for d in first]
    if None in kinds:
        return NO                        # the handshake is each side's first datagram
    if MORE in kinds:
        return MORE
    conv = s[0][4:8].hex() if s and kinds[-1] == "accept" else None
    conf = 1.0 if kinds == ["connect", "accept"] else 0.9
    return claim("genshin", conf, conv=conv)


SPEC = DetectorSpec(name="genshin", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))),
                    max_confidence=1.0)
