"""RMCP (DMTF DSP0136 ASF 2.0, 3.2.2; IPMI v2.0, 13.1), UDP 623: every datagram starts
with a 4-byte RMCP header, version 0x06, reserved 0, sequence number (0xFF when no
RMCP acknowledgement is wanted) and class (bit 7 set for an RMCP ACK; low bits 6 ASF,
7 IPMI, 8 OEM).  An ASF message follows with the IANA enterprise number 4542 (0x000011BE),
message type (0x80 Presence Ping, 0x40 Presence Pong), tag, reserved 0 and data length
(0 for the ping, 16 for the pong).  An IPMI message follows with the session header:
IPMI 1.5, authentication type (0 none, 1 MD2, 2 MD5, 4 straight password, 5 OEM),
sequence (4), session id (4), 16-byte auth code when the type is not none, message
length (1) and the message (rsAddr, netFn/LUN, checksum, rqAddr, rqSeq, command, data,
checksum: each checksum makes its bytes sum to zero); RMCP+ (IPMI 2.0), type 6,
payload type (1), session id (4), sequence (4), payload length (2, little-endian).
A presence ping is usually the client's first datagram.

The detector relies on the header, the message's length agreeing with the datagram, the
enterprise number for ASF and the two checksums for an IPMI 1.5 message.
Metadata: message_class (asf / ipmi / ipmi2), message (ASF ping or pong).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

ASF = {0x80: "presence-ping", 0x40: "presence-pong"}


def _sum0(b: bytes) -> bool:
    return sum(b) & 0xFF == 0


def datagram(d: bytes, whole: bool):
    """(class name, message name or None, strong) / MORE / None."""
    if not b"\x06\x00"[:len(d)] == d[:2]:
        return None                      # version 6, reserved 0
    if len(d) < 4:
        return MORE                  # a valid prefix
    cls = d[3]
    if cls & 0x80:
        return ("ack", None, False) if len(d) == 4 or not whole else None
    if cls & 0x60 or cls & 0x1F not in (6, 7, 8):
        return None
    body = d[4:]
    if cls == 6:
        if len(body) < 8:
            return MORE                  # a valid prefix
        if body[:4] != b"\x00\x00\x11\xbe" or body[4] not in ASF or body[6] != 0:
            return None                  # IANA 4542, ping/pong, reserved
        if (8 + body[7] != len(body) if whole else 8 + body[7] < len(body)):
            return None
        if body[4] == 0x80 and body[7] != 0 or body[4] == 0x40 and body[7] != 16:
            return None
        return "asf", ASF[body[4]], True
    if cls == 8:
        return None                      # OEM: nothing to check
    if not body:
        return MORE                  # a valid prefix
    auth = body[0]
    if auth == 6:
        if len(body) < 12:
            return MORE                  # a valid prefix
        n = int.from_bytes(body[10:12], "little")
        if body[1] & 0x3F not in (0, 1, 2, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15) or \
                (12 + n != len(body) if whole else 12 + n < len(body)):
            return None                  # payload types; the payload length is the datagram's
        return "ipmi2", None, False
    if auth not in (0, 1, 2, 4, 5):
        return None
    at = 10 + (16 if auth else 0)
    if len(body) < at:
        return MORE                  # a valid prefix
    n = body[at - 1]
    msg = body[at:at + n]
    if n < 7 or (at + n != len(body) if whole else at + n < len(body)):
        return None
    if len(msg) < n:
        return MORE
    if not _sum0(msg[:3]) or not _sum0(msg[3:]):
        return None                      # both IPMI message checksums
    return "ipmi", None, True


def probe(view, state):
    found, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = datagram(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        found.append(r)
    named = [f for f in found if f[0] != "ack"]
    if not named:
        return MORE if more or found else NO
    strong = sum(1 for f in named if f[2])
    conf = 0.95 if strong >= 2 else 0.9 if strong else 0.8 if len(named) >= 2 else 0.7
    return claim("rmcp", conf, message_class=named[0][0], message=named[0][1])


SPEC = DetectorSpec(name="rmcp", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x06,)), s2c=frozenset((0x06,))),
                    max_confidence=0.95)
