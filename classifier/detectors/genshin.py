"""Genshin Impact (miHoYo): the game client reaches its gate server over KCP behind a
20-byte connect handshake of its own (documented by the open-source server emulators,
e.g. Grasscutter's KCP handshake; nDPI's genshin_impact.c checks the client's):

    client  u32 0x000000ff | u32 conv 0 | u32 token | u32 1234567890 | u32 0xffffffff
    server  u32 0x00000145 | u32 conv   | u32 token | u32 1234567890 | u32 0x14514545

(big endian).  Either message, whole and exactly 20 bytes, is a match: eight fixed
bytes at both ends and the 1234567890 constant between them.  Confidence 0.9; 1.0 when
the server's answer follows the client's.  Metadata: conv (hex, from the server).

Over TCP (nDPI's genshin_impact.c, its TCP branch) the client's stream is a chain of
records, each opening with 0x01, a u32 (big endian) record length that counts the
whole record, a message type (the client's first: 1 or 7), and the constant 0x4da6 at
the record's offset 16.  The client's first record whole, every record that follows
in the bytes seen chaining on (lead byte, a length of 18 or more, the constant), and
the server's stream, when there is one, opening with such a record: a match,
confidence 0.8; 0.9 when a second record or the server's first confirms the chain.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

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


TCP_LEAD, TCP_CONST, TCP_HEAD = 0x01, b"\x4d\xa6", 18
TCP_OPENERS = (1, 7)                  # the client's first record's type (nDPI)


def _records(data: bytes, limit: int = 8):
    """(types of the whole records, True when the bytes end inside a record whose seen
    prefix is consistent), or None when a record breaks the chain."""
    types, i, n = [], 0, len(data)
    while i < n and len(types) < limit:
        if data[i] != TCP_LEAD:
            return None
        if n - i < TCP_HEAD:
            if n - i >= 5 and int.from_bytes(data[i + 1:i + 5], "big") < TCP_HEAD:
                return None
            return types, True
        size = int.from_bytes(data[i + 1:i + 5], "big")
        if size < TCP_HEAD or data[i + 16:i + 18] != TCP_CONST:
            return None
        if i + size > n:
            types.append(data[i + 5])
            return types, True       # the record runs on past the bytes seen
        types.append(data[i + 5])
        i += size
    return types, False


def _tcp_probe(view):
    c, s = bytes(view.payload_c2s[:1024]), bytes(view.payload_s2c[:1024])
    if not c:
        # the client's opener decides; the server's bytes alone can only refuse
        return MORE if not s or _records(s) is not None else NO
    rc = _records(c)
    if rc is None or (rc[0] and rc[0][0] not in TCP_OPENERS):
        return NO
    rs = _records(s) if s else None
    if s and rs is None:
        return NO
    first_whole = len(c) >= TCP_HEAD and int.from_bytes(c[1:5], "big") <= len(c)
    if not first_whole:
        return MORE
    confirmed = (len(rc[0]) >= 2 and int.from_bytes(c[1:5], "big") < len(c)) or (s and rs[0])
    return claim("genshin", 0.9 if confirmed else 0.8)


def probe(view, state):
    if view.transport == "tcp":
        return _tcp_probe(view)
    c, s = _units.nonempty(view)
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


SPEC = DetectorSpec(name="genshin", transports=("udp", "tcp"), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,)),
                                                       tcp=Prefilter(c2s=frozenset((TCP_LEAD,)),
                                                                     s2c=frozenset((TCP_LEAD,)))),
                    max_confidence=1.0,
                    # UDP: each side's first datagram is a 20-byte connect (00 00 00 ff) or
                    # accept (00 00 01 45) carrying the constant 1234567890 at 12-15
                    gate=Gate(min_len=20, bytes=(
                        (0, 0xFF, 0, 0), (1, 0xFF, 0, 0), (2, 0xFE, 0, 0), (3, 0xFF, 0x45, 0xFF),
                        (12, 0xFF, CONST[0], CONST[0]), (13, 0xFF, CONST[1], CONST[1]),
                        (14, 0xFF, CONST[2], CONST[2]), (15, 0xFF, CONST[3], CONST[3]))))
