"""RMCP (DMTF DSP0136 ASF 2.0, 3.2.2; IPMI v2.0, 13.1), UDP 623: every datagram starts
with a 4-byte RMCP header, version 0x06, reserved 0, sequence number (0xFF when no
RMCP acknowledgement is wanted) and class (bit 7 set for an RMCP ACK; low bits 6 ASF,
7 IPMI, 8 OEM).  An RMCP ACK is the bare header echoing the sequence number and the
class of the message it acknowledges (so never sequence 0xFF).  An ASF message follows
with the IANA enterprise number 4542 (0x000011BE), message type (0x10-0x13 reset and
power, 0x40-0x44 pong and responses, 0x80-0x84 ping and requests, 0xC0-0xC2 RAKP), tag,
reserved 0 and data length (0 for the ping, 16 for the pong).  An IPMI message follows
with the session header: IPMI 1.5, authentication type (0 none, 1 MD2, 2 MD5, 4 straight
password, 5 OEM), sequence (4), session id (4), 16-byte auth code when the type is not
none, message length (1) and the message (rsAddr, netFn/LUN, checksum, rqAddr, rqSeq,
command, data, checksum: each checksum makes its bytes sum to zero), perhaps one legacy
pad byte 0x00 (IPMI 2.0 13.6); RMCP+ (IPMI 2.0), type 6, payload type (1: bit 7
encrypted, bit 6 authenticated), for the OEM explicit payload (2) an OEM IANA (4) and
payload id (2), session id (4), sequence (4), payload length (2, little-endian), the
payload, and, when authenticated, the integrity trailer: 0xFF pad bytes making the
session packet a multiple of 4, the pad length, next header 0x07 and an AuthCode of 12
or 16 bytes (13.28.4).  A presence ping is usually the client's first datagram.

The detector relies on the header, the message's length agreeing with the datagram (and
its trailer), the enterprise number for ASF and the two checksums for an IPMI 1.5
message.  Metadata: message_class (asf / ipmi / ipmi2), message (the ASF message type).

Checked against: Wireshark epan/dissectors/packet-rmcp.c, packet-asf.c (the ASF message
types), packet-ipmi-session.c (session headers, the OEM explicit payload's 6 extra
bytes, the trailer after the message); nDPI src/lib/protocols/rmcp.c (name "RMCP";
version 6, reserved 0, class ASF or IPMI, no ACK of sequence 0xFF).  Our first version
knew only ping and pong among ASF messages, took the OEM explicit payload's length
from the wrong offset and refused any trailer (so every authenticated RMCP+ packet and
IPMI 1.5's legacy pad made the flow NO), and accepted ACKs of any class or of 0xFF.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

ASF = {0x10: "reset", 0x11: "power-up", 0x12: "power-down", 0x13: "power-cycle",
       0x40: "presence-pong", 0x41: "capabilities-response", 0x42: "system-state-response",
       0x43: "open-session-response", 0x44: "close-session-response",
       0x80: "presence-ping", 0x81: "capabilities-request", 0x82: "system-state-request",
       0x83: "open-session-request", 0x84: "close-session-request",
       0xC0: "rakp-message-1", 0xC1: "rakp-message-2", 0xC2: "rakp-message-3"}


def _integrity_trailer(t: bytes, before: int) -> bool:
    """Whether `t` is an RMCP+ integrity trailer (IPMI 2.0 13.28.4) after `before` bytes of
    session header and payload: 0xFF pad, pad length, next header 0x07, AuthCode of 12
    (HMAC-SHA1-96) or 16 bytes (HMAC-MD5-128, MD5-128, HMAC-SHA256-128)."""
    for code in (12, 16):
        k = len(t) - code - 2
        if k < 0 or k > 3 or t[k] != k or t[k + 1] != 0x07 or t[:k] != b"\xff" * k:
            continue
        if (before + k + 2) % 4 == 0:
            return True
    return False


def _sum0(b: bytes) -> bool:
    return sum(b) & 0xFF == 0


def datagram(d: bytes, whole: bool):
    """(class name, message name or None, strong) / MORE / None."""
    if not b"\x06\x00"[:len(d)] == d[:2]:
        return None                      # version 6, reserved 0
    if len(d) < 4:
        return MORE                  # a valid prefix
    cls = d[3]
    if cls & 0x60 or cls & 0x1F not in (6, 7, 8):
        return None
    if cls & 0x80:
        # An ACK echoes the acknowledged message's sequence number and class; messages
        # of sequence 0xFF are never acknowledged.
        return ("ack", None, False) if (len(d) == 4 or not whole) and d[2] != 0xFF else None
    body = d[4:]
    if cls == 6:
        if len(body) < 8:
            return MORE                  # a valid prefix
        if body[:4] != b"\x00\x00\x11\xbe" or body[4] not in ASF or body[6] != 0:
            return None                  # IANA 4542, a known message type, reserved
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
        ptype = body[1] & 0x3F if len(body) > 1 else 0
        at = 18 if ptype == 2 else 12    # the OEM explicit payload adds OEM IANA and payload id
        if len(body) < at:
            return MORE                  # a valid prefix
        n = int.from_bytes(body[at - 2:at], "little")
        if ptype not in (0, 1, 2, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15):
            return None                  # payload types
        if not whole:
            return ("ipmi2", None, False) if at + n >= len(body) or body[1] & 0x40 else None
        if at + n == len(body):
            return "ipmi2", None, False
        if body[1] & 0x40 and at + n < len(body) and _integrity_trailer(body[at + n:], at + n):
            return "ipmi2", None, False  # an authenticated payload and its integrity trailer
        return None
    if auth not in (0, 1, 2, 4, 5):
        return None
    at = 10 + (16 if auth else 0)
    if len(body) < at:
        return MORE                  # a valid prefix
    n = body[at - 1]
    msg = body[at:at + n]
    # The message fills the datagram, or is followed by the legacy pad byte 0x00.
    if n < 7 or (at + n != len(body) and body[at + n:] != b"\x00" if whole else at + n < len(body) - 1):
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
