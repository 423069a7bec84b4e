"""collectd's binary network protocol (collectd wiki "Binary protocol"; the network
plugin): a datagram is a sequence of parts, each a 2-byte type and a 2-byte length
counting the 4-byte part header.  Strings (host 0x0000, plugin 0x0002, plugin
instance 0x0003, type 0x0004, type instance 0x0005, message 0x0100) end with a NUL;
numbers (time 0x0001/0x0008, interval 0x0007/0x0009, severity 0x0101) are 12 bytes;
values (0x0006) are 6 + 9 bytes per value (a count, the data-source types 0-3, the
values); a signature (0x0200) holds a 32-byte HMAC and a user name; an encrypted part
(0x0210) runs to the datagram's end.  The parts must tile the datagram.  A part of a
type the receiver does not know is skipped by its length (collectd's network.c,
parse_packet: forward compatibility), so one is tolerated here too, as long as known,
valid parts outnumber such parts three to one.  Senders only send: one direction.
Metadata: host, plugin (the first of each), signed / encrypted when so.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

STRINGS = {0x0000: "host", 0x0002: "plugin", 0x0003: None, 0x0004: None, 0x0005: None, 0x0100: None}
NUMBERS = frozenset({0x0001, 0x0007, 0x0008, 0x0009, 0x0101})
VALUES, SIGNATURE, ENCRYPTED = 0x0006, 0x0200, 0x0210


def _parts(d: bytes):
    """Metadata when the datagram is a tiling of valid parts, else None."""
    off, meta, kinds, unknown = 0, {}, 0, 0
    while off < len(d):
        if len(d) - off < 4:
            return None
        t, n = struct.unpack_from(">HH", d, off)
        if n < 4 or off + n > len(d):
            return None
        body = d[off + 4:off + n]
        if t in STRINGS:
            if not body or body[-1] != 0 or 0 in body[:-1]:
                return None
            key = STRINGS[t]
            if key and key not in meta:
                meta[key] = dec(body[:-1])
        elif t in NUMBERS:
            if n != 12:
                return None
        elif t == VALUES:
            if n < 6:
                return None
            (count,) = struct.unpack_from(">H", body, 0)
            if count == 0 or n != 6 + 9 * count or any(x > 3 for x in body[2:2 + count]):
                return None
        elif t == SIGNATURE:
            if n < 4 + 32:
                return None
            meta["signed"] = True
        elif t == ENCRYPTED:
            if off or n != len(d) or n < 4 + 2 + 16 + 20:
                return None           # user-name length, name, 16-byte IV, SHA-1, data
            (ulen,) = struct.unpack_from(">H", body, 0)
            if ulen == 0 or 4 + 2 + ulen + 16 + 20 > n:
                return None           # the user name must leave room for the IV and the hash
            meta["encrypted"] = True
        else:
            unknown += 1              # skipped by its length, as collectd does
            off += n
            continue
        kinds += 1
        off += n
    if unknown and kinds < 3 * unknown:
        return None                   # mostly parts of no known type: not evidence
    return meta if kinds >= 2 or meta.get("encrypted") else None


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE                   # nothing yet, or one datagram perhaps cut short
    short = _dgram.too_short(units, 4, first=frozenset({0, 2}))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    meta = None
    for d in units:
        m = _parts(d)
        if m is None:
            return NO
        meta = meta if meta is not None else m
    return claim("collectd", 0.9 if not meta.get("encrypted") else 0.6, **meta)


# The first part is a host name, a signature or an encrypted part: type 0x00.. or 0x02..
SPEC = DetectorSpec(name="collectd", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset({0, 2}), s2c=frozenset({0, 2})),
                    max_confidence=0.9)
