"""PPTP's control connection (RFC 2637 2): every control message is a 2-byte length
(the whole message), PPTP message type 1 (control; 2 management), the magic cookie
0x1A2B3C4D, a control message type 1-15 and a reserved zero word.  The client opens
with Start-Control-Connection-Request (type 1, 156 bytes, protocol version 1.0); the
server answers Start-Control-Connection-Reply (type 2, 156 bytes).  Each message's
length must fit the type and the next message must follow it exactly.
Metadata: message (the first's name), hostname, vendor (of the SCCRQ/SCCRP).
"""
from __future__ import annotations

import struct

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

COOKIE = 0x1A2B3C4D
# RFC 2637 2.1-2.16: control message type -> (name, length)
MESSAGES = {1: ("Start-Control-Connection-Request", 156), 2: ("Start-Control-Connection-Reply", 156),
            3: ("Stop-Control-Connection-Request", 16), 4: ("Stop-Control-Connection-Reply", 16),
            5: ("Echo-Request", 16), 6: ("Echo-Reply", 20), 7: ("Outgoing-Call-Request", 168),
            8: ("Outgoing-Call-Reply", 32), 9: ("Incoming-Call-Request", 220),
            10: ("Incoming-Call-Reply", 24), 11: ("Incoming-Call-Connected", 28),
            12: ("Call-Clear-Request", 16), 13: ("Call-Disconnect-Notify", 148),
            14: ("WAN-Error-Notify", 40), 15: ("Set-Link-Info", 24)}


def _messages(d: bytes):
    """Metadata of the first message of a direction, MORE, or None."""
    if len(d) < 12:
        head = d[:8]
        if len(head) >= 4 and struct.unpack_from(">H", head, 2)[0] not in (1, 2):
            return None
        if len(head) >= 8 and struct.unpack_from(">I", head, 4)[0] != COOKIE:
            return None
        return MORE
    n, mtype, cookie, ctype, rsv = struct.unpack_from(">HHIHH", d, 0)
    if mtype != 1 or cookie != COOKIE or ctype not in MESSAGES or rsv or n != MESSAGES[ctype][1]:
        return None
    meta = {"message": MESSAGES[ctype][0]}
    if ctype in (1, 2) and len(d) >= 156:
        meta["hostname"] = dec(d[28:92].split(b"\x00")[0]) or None
        meta["vendor"] = dec(d[92:156].split(b"\x00")[0]) or None
    if len(d) >= n + 8 and struct.unpack_from(">I", d, n + 4)[0] != COOKIE:
        return None                   # the next message must follow exactly
    return meta


def probe(view, state):
    meta = _units.each_stream(view, _messages)
    if meta is MORE or meta is NO:
        return meta
    return claim("pptp", 0.95 if view.payload_c2s and view.payload_s2c else 0.9, **meta)


SPEC = DetectorSpec(name="pptp", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.95)
