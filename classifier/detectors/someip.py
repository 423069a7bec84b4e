"""SOME/IP (AUTOSAR Scalable service-Oriented MiddlewarE over IP, PRS_SOMEIP) and its
service discovery SOME/IP-SD (PRS_SOMEIPSD), on UDP and TCP.  Every message has a 16-byte
big-endian header: message id (service id 2, method/event id 2), length (4) counting
from the request id to the end of the message (so 8 + length is the message size),
request id (client id 2, session id 2), protocol version (1), interface version,
message type (0x00 request, 0x01 request without return, 0x02 notification, 0x80
response, 0x81 error; 0x20 set for SOME/IP-TP segments; 0x40/0x41/0x42/0xC0/0xC1 the
acknowledgements) and return code (0x00-0x5E).  Messages tile the datagram or stream; a datagram shorter than a header may be
awaited alone, never among others.

SOME/IP-SD messages are message id 0xFFFF8100, interface version 1, type notification,
return code 0, then flags (1), reserved (3), an entries array whose length (4) is a
multiple of 16 with entry types 0x00/0x01 (find/offer service) or 0x06/0x07
(subscribe/ack), and an options array whose length (4) fills the message exactly.

SD messages are checked field by field (confidence 1.0: they must beat the DNS reader,
which a datagram starting FF FF 81 00 resembles); plain SOME/IP messages only have the
header's version, type, return code and exact length (0.85; a lone one 0.8).
Metadata: service_id (hex), message_type, sd (bool).
"""
from __future__ import annotations

from . import _units
from .base import ANY, MORE, NO, DetectorSpec, Gate, Prefilter, claim

TYPES = {0x00: "request", 0x01: "request-no-return", 0x02: "notification", 0x80: "response",
         0x81: "error", 0x40: "request-ack", 0x41: "request-no-return-ack",
         0x42: "notification-ack", 0xC0: "response-ack", 0xC1: "error-ack"}
SD_ID = b"\xff\xff\x81\x00"
SD_ENTRY_TYPES = frozenset((0x00, 0x01, 0x06, 0x07))


def _sd(body: bytes) -> bool:
    """The SOME/IP-SD payload: flags, reserved, entries array, options array, exactly."""
    if len(body) < 12 or body[1:4] != b"\x00\x00\x00":
        return False
    n = int.from_bytes(body[4:8], "big")
    if n % 16 or 8 + n + 4 > len(body):
        return False
    for i in range(8, 8 + n, 16):
        if body[i] not in SD_ENTRY_TYPES:
            return False
    m = int.from_bytes(body[8 + n:12 + n], "big")
    if 12 + n + m != len(body):
        return False
    pos, end = 12 + n, len(body)
    while pos < end:                     # options: length (2), type, reserved, data
        if pos + 4 > end:
            return False
        pos += 3 + int.from_bytes(body[pos:pos + 2], "big")
    return pos == end


def messages(d: bytes, whole: bool):
    """[(service_id, type, is_sd)] of the messages tiling `d`, MORE, or None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 4:
        head = d[pos:pos + 16]
        if len(head) >= 13 and head[12] != 0x01:
            return None                  # protocol version 1
        if len(head) >= 15 and (head[14] & ~0x20) not in TYPES:
            return None
        if len(head) >= 16 and head[15] > 0x5E:
            return None
        if len(head) < 16:
            if whole and pos:
                return None              # a datagram holds whole messages
            return out or MORE
        n = int.from_bytes(head[4:8], "big")
        if n < 8 or n > 0x100000:
            return None
        end = pos + 8 + n
        if end > len(d):
            return None if whole else (out or MORE)
        sd = head[:4] == SD_ID
        if sd and (head[13] != 1 or head[14] != 0x02 or head[15] != 0 or not _sd(d[pos + 16:end])):
            return None
        out.append((head[:2].hex(), TYPES[head[14] & ~0x20], sd))
        pos = end
    return out


def probe(view, state):
    found, more = [], False
    units = _units.units(view, SPEC.max_bytes)
    for d, whole in units:
        r = messages(d, whole)
        if r is None:
            return NO
        if r is MORE:
            if whole and len(units) > 1:
                return NO                # a datagram shorter than a header among others
            more = True
            continue
        found.extend(r)
    if not found:
        return MORE if more else NO
    service, kind, sd = found[0]
    if any(f[2] for f in found):
        conf = 1.0
    else:
        conf = 0.85 if len(found) >= 2 else 0.8
    return claim("someip", conf, service_id=service, message_type=kind, sd=sd)


# A plain SOME/IP message starts with its service id, any byte.  On TCP, hinting on every
# flow would put this probe on every flow's list: the hint is SOME/IP-SD's 0xFF (service
# 0xFFFF), which every SOME/IP deployment sends to announce its services, and plain method
# traffic on its own TCP connection is left unknown.  On UDP every datagram is tried, and
# the gate refuses in compiled code what no header allows: the length's top bytes (8 <=
# length <= 0x100000: byte 4 zero, byte 5 at most 0x10), protocol version 1, a message
# type whose bits 0x1C are clear (every type, TP flag 0x20 aside), a return code <= 0x5E.
# The length field is not gated: a datagram may carry several messages.
SPEC = DetectorSpec(name="someip", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0xFF,)), s2c=frozenset((0xFF,)),
                                                       udp=ANY),
                    max_confidence=1.0,
                    gate=Gate(min_len=16, bytes=((4, 0xff, 0, 0), (5, 0xff, 0, 0x10), (12, 0xff, 1, 1),
                                                 (14, 0x1c, 0, 0), (15, 0xff, 0, 0x5e))))
