"""LISP control messages over UDP (RFC 9301 5; RFC 6833): the first 4 bits are the
type (1 Map-Request, 2 Map-Reply, 3 Map-Register, 4 Map-Notify, 5 Map-Notify-Ack,
8 Encapsulated Control Message), the fourth byte the record count, then a 64-bit
nonce.  A Map-Register / Map-Notify carries a key id, an authentication data length
(at most 64) and that much data; a Map-Reply none.  Their EID records (TTL, locator
count, EID mask length <= 128, ACT/A flags, map version, EID-prefix AFI and address,
then the locators: priorities, weights, flags, locator AFI and address) must tile the
rest exactly (with the I bit, a Map-Register or Map-Notify adds its 24-byte xTR-ID and
site-ID).  A
Map-Request lists its source EID, ITR-RLOCs and EID records, which must fit.  AFIs: 0
none, 1 IPv4, 2 IPv6, 16387 LCAF (its own length).  An ECM carries another control
message behind an IP and UDP header; it is not unwrapped here.

Over TCP (port 4342), the Map-Server reliable transport (draft-kouvelas-lisp-map-server-
reliable-transport, now draft-ietf-lisp-map-server-reliable-transport; RLOC membership
messages from draft-kouvelas-lisp-rloc-membership): messages tile the stream, each a
type (2: 16 Error Notification, 17 Registration, 18 Registration ACK, 19 Registration
NACK, 20 Registration Refresh, 21 Mapping Notification, 22-30 RLOC membership), a length
(2, the whole message), a message id (4), the data and the end marker 0x9FACADE9 in its
last four bytes.  Checked against Wireshark epan/dissectors/packet-lisp-tcp.c.
Metadata: message (the first datagram's or TCP message's), records (UDP).
"""
from __future__ import annotations

import struct

from . import _dgram, _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MESSAGES = {1: "Map-Request", 2: "Map-Reply", 3: "Map-Register", 4: "Map-Notify", 5: "Map-Notify-Ack"}
AFI_LEN = {0: 0, 1: 4, 2: 16}
LCAF = 16387


def _address(d: bytes, off: int):
    """Offset after an AFI-prefixed address, or None."""
    if len(d) < off + 2:
        return None
    (afi,) = struct.unpack_from(">H", d, off)
    off += 2
    if afi in AFI_LEN:
        off += AFI_LEN[afi]
    elif afi == LCAF:                        # RFC 8060: rsvd, flags, type, rsvd, length
        if len(d) < off + 6:
            return None
        off += 6 + struct.unpack_from(">H", d, off + 4)[0]
    else:
        return None
    return off if off <= len(d) else None


def _records(d: bytes, off: int, count: int):
    for _ in range(count):
        if len(d) < off + 12:
            return None
        _ttl, locs, mask = struct.unpack_from(">IBB", d, off)
        if mask > 128:
            return None
        off = _address(d, off + 10)
        if off is None:
            return None
        for _ in range(locs):
            if len(d) < off + 6:
                return None
            off = _address(d, off + 6)
            if off is None:
                return None
    return off


def _parse(d: bytes):
    if len(d) < 12:
        return None
    t, count = d[0] >> 4, d[3]
    if t in (3, 4, 5):
        if len(d) < 16:
            return None
        alen = struct.unpack_from(">H", d, 14)[0]
        if alen > 64 or count == 0 and t != 5:
            return None
        end = _records(d, 16 + alen, count)
        if end is None:
            return None
        rest = len(d) - end
        xtr = d[0] & (0x02 if t == 3 else 0x08)     # the I bit: Map-Register's 0x02, Map-Notify's 0x08
        if rest and not (xtr and rest == 24):
            return None                      # only the xTR-ID and site-ID may follow
        return MESSAGES[t], count
    if t == 2:
        if count == 0:
            return None
        end = _records(d, 12, count)
        return (MESSAGES[t], count) if end == len(d) else None
    if t == 1:
        irc = d[2] & 0x1f
        if count == 0:
            return None
        off = _address(d, 12)                # source EID
        for _ in range(irc + 1):             # ITR-RLOCs
            off = None if off is None else _address(d, off)
        for _ in range(count):               # EID records: reserved, mask length, prefix
            if off is None or len(d) < off + 2 or d[off + 1] > 128:
                return None
            off = _address(d, off + 2)
        if off is not None and d[0] & 0x04:  # M: one Map-Reply record follows (RFC 9301 5.3)
            off = _records(d, off, 1)
        if off != len(d):
            return None                      # nothing else follows the records
        return MESSAGES[t], count
    return None


TCP_MESSAGES = {16: "Error-Notification", 17: "Registration", 18: "Registration-ACK",
                19: "Registration-NACK", 20: "Registration-Refresh", 21: "Mapping-Notification",
                22: "Membership-Subscribe", 23: "Membership-Subscribe-ACK",
                24: "Membership-Subscribe-NACK", 25: "Membership-Unsubscribe",
                26: "Membership-Element-Add", 27: "Membership-Element-Remove",
                28: "Membership-Refresh-Request", 29: "Membership-Refresh-Begin",
                30: "Membership-Refresh-End"}
END_MARKER = b"\x9f\xac\xad\xe9"


def _tcp_stream(d: bytes):
    """The reliable-transport messages tiling a direction: [type] of the whole ones / MORE / None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 4:
        head = d[pos:pos + 4]
        if len(head) < 4:
            return None if head[:1] != b"\x00" else out or MORE
        t, n = struct.unpack(">HH", head)
        if t not in TCP_MESSAGES or n < 12:
            return None                  # a known type; header, message id and end marker
        if pos + n > len(d):
            return out or MORE           # the last message is still arriving
        if d[pos + n - 4:pos + n] != END_MARKER:
            return None
        out.append(t)
        pos += n
    return out


def _tcp_probe(view):
    found = _units.streams(view, _tcp_stream)
    if found is MORE or found is NO:
        return found
    # Each whole message ends with the 32-bit end marker where its length says.
    return claim("lisp", 0.85, message=TCP_MESSAGES[found[0]], records=None)


def probe(view, state):
    if view.transport == "tcp":
        return _tcp_probe(view)
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 12, first=FIRST)
    if short is not None:
        return MORE if short else NO
    first = None
    for d in units:
        r = _parse(d)
        if r is None:
            return NO
        first = first or r
    return claim("lisp", 0.85, message=first[0], records=first[1])


FIRST = frozenset(b for b in range(0x10, 0x60))
SPEC = DetectorSpec(name="lisp", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=FIRST, s2c=FIRST,
                                                       tcp=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,)))),
                    max_confidence=0.85,
                    # UDP, a lone datagram must parse (_parse): a Map-Request (type 1) has
                    # a record and its source EID's AFI (0, 1, 2 or LCAF 0x4003) at 12-13,
                    # then at least an ITR-RLOC's AFI and a record's two bytes and AFI; a
                    # Map-Reply (2) a record: TTL, locator count, a mask <= 128 at 17 and
                    # its AFI at 22-23; a Map-Register, Notify or Notify-Ack (3-5) an
                    # authentication length of at most 64 at bytes 14-15.
                    gate=(Gate(lone=True, min_len=20, bytes=((0, 0xf0, 0x10, 0x10), (3, 0xff, 1, 255),
                                                             (12, 0xbf, 0, 0), (13, 0xfc, 0, 0))),
                          Gate(lone=True, min_len=24, bytes=((0, 0xf0, 0x20, 0x20), (3, 0xff, 1, 255),
                                                             (17, 0xff, 0, 128), (22, 0xbf, 0, 0),
                                                             (23, 0xfc, 0, 0))),
                          Gate(lone=True, min_len=16, bytes=((0, 0xf0, 0x30, 0x50), (14, 0xff, 0, 0),
                                                             (15, 0xff, 0, 64)))))
