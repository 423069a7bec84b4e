"""HART-IP (FieldComm Group HCF_SPEC-085): every message starts with an 8-byte header,
version (1, or 2 for HART-IP 2), message type (0 request, 1 response, 2 publish/
notification, 3 error, 15 NAK), message id (0 session initiate, 1 session close, 2 keep
alive, 3 token-passing pass-through, 4 direct PDU, 5 read audit log), status, sequence
number (2) and byte count (2), the message's total length including the header.  On
UDP a datagram is one message; on TCP the messages tile the stream.

The detector relies on version, type, id and the byte count agreeing with the datagram
(or stream), and on a session initiate's fixed 13-byte size.  Metadata: message_id.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

TYPES = frozenset((0, 1, 2, 3, 15))
IDS = ("session-initiate", "session-close", "keep-alive", "pass-through", "direct-pdu", "read-audit-log")


def messages(data: bytes, whole: bool):
    out, pos = [], 0
    while pos < len(data) and len(out) < 4:
        head = data[pos:pos + 8]
        if head[:1] not in (b"\x01", b"\x02") or (len(head) > 1 and head[1] not in TYPES) or \
                (len(head) > 2 and head[2] >= len(IDS)):
            return None
        if len(head) < 8:
            return None if whole else (out or MORE)
        n = int.from_bytes(head[6:8], "big")
        if n < 8 or n > 8192:
            return None
        if head[2] in (0, 2) and head[1] in (0, 1) and n not in (8, 13):
            return None                  # initiate: master type + inactivity timer; keep alive: empty
        if pos + n > len(data):
            return None if whole else (out or MORE)
        out.append(head[2])
        pos += n
    if whole and pos != len(data):
        return None                      # a datagram is one message, exactly
    return out


def probe(view, state):
    found, more = [], False
    units = _units.units(view, SPEC.max_bytes)
    for data, whole in units:
        r = messages(data, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.extend(r)
    if not found:
        return MORE if more else NO
    # One 8-byte header is few bits; two messages (a request and its answer) are more.
    return claim("hart-ip", 0.85 if len(found) >= 2 else 0.8, message_id=IDS[found[0]])


SPEC = DetectorSpec(name="hart-ip", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((1, 2)), s2c=frozenset((1, 2))),
                    max_confidence=0.85,
                    # UDP: every datagram, cut or whole, opens a header (or a prefix of one):
                    # version 1/2, a known message type and id
                    gate=Gate(prefix=True, bytes=((0, 0xFF, 1, 2), (1, 0xFF, 0, 15), (2, 0xFF, 0, len(IDS) - 1))))
