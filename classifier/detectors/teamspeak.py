"""TeamSpeak 3 over UDP: two exchanges of the same software family.

1. Voice sessions open with the unencrypted "Init1" handshake (ReSpeak's TS3 protocol
   description, tsdeclarations/ts3protocol.md; nDPI's teamspeak.c matches the magic):

    client  MAC "TS3INIT1" (8) | packet id 0x0065 (u16) | client id 0 (u16)
            | type 0x88 (Init1, unencrypted) | version (u32) | step (u8: 0, 2, 4) ...
    server  MAC "TS3INIT1" (8) | packet id 0x0065 (u16)
            | type 0x88 | step (u8: 1, 3, 127) ...

   Everything after the handshake is encrypted.  An 8-byte ASCII magic, a fixed packet
   id and type, and a step byte of the right parity for the side: confidence 1.0.

2. A TeamSpeak 3 *server* announces itself to TeamSpeak's server list (weblist, UDP)
   with a small unencrypted exchange, described by the TS3 server-list emulator
   TS3SRV_SLE (github.com/Redasurc/TS3SRV_SLE and its PHP port, files
   Network/PayloadProcessor.cs and Network/OutgoingPayloadHandler.cs): every datagram
   opens with a 4-byte header, 0x01 (static) | sequence id (u16) | payload type
   (1 key request, 2 data upload), and

    server -> list   header(type 1)                             4 bytes, the key request
    list -> server   the same header | auth key (4)             8 bytes
    server -> list   header(type 2) | that auth key | voice port (u16 LE)
                     | slots (u16 LE) | clients (u16 LE) | flags (u8)
                     | name length (u8) | name                 16 + name length bytes
    list -> server   the upload's header | status (u8)          5 bytes

   The fixed bytes are few (0x01 and the type), so the detector asks for the structure
   the exchange must show: the list echoes the request's header, the upload carries the
   key the list handed out and is exactly as long as its name length says, the answer
   echoes the upload's header.  Confidence 0.9 (a 4-byte random key and a 3-byte
   header echoed, exact lengths; no long magic).  nDPI names such a flow TeamSpeak.

Metadata: steps (the Init1 handshake steps seen); announced_port, slots (the voice
port and slot count a server announced to the list).
"""
from __future__ import annotations

import struct

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MAGIC = b"TS3INIT1"
CLIENT_STEPS = (0, 2, 4)
SERVER_STEPS = (1, 3, 127)

WEBLIST_STATIC = 0x01            # the header's first byte
KEY_REQUEST, DATA_UPLOAD = 1, 2  # the header's payload type
UPLOAD_FIXED = 16                # header, key, port, slots, clients, flags, name length


def _init1(d: bytes, client: bool):
    """The handshake step, MORE for a prefix, or None."""
    head = MAGIC + b"\x00\x65" + (b"\x00\x00\x88" if client else b"\x88")
    at = len(head) + (4 if client else 0)          # the client puts its version first
    if len(d) <= at:
        return MORE if head.startswith(d[:len(head)]) else None
    if not d.startswith(head):
        return None
    step = d[at]
    return step if step in (CLIENT_STEPS if client else SERVER_STEPS) else None


def _probe_init1(c, s):
    steps = []
    for dgs, client in ((c, True), (s, False)):
        if not dgs:
            continue
        r = _init1(dgs[0], client)
        if r is None:
            # a capture that started mid-handshake may have the sides swapped
            r = _init1(dgs[0], not client)
            if r is None or r is MORE:
                return NO
        if r is MORE:
            return MORE
        steps.append(r)
    return claim("teamspeak", 1.0, steps=sorted(steps))


def _probe_weblist(c, s):
    """The server-list announcement (2. above), from its key request on."""
    req = c[0]
    if len(req) < 4:
        # a datagram cut short (a fixture's prefix): only a header prefix may wait
        return MORE if req[0] == WEBLIST_STATIC and not s else NO
    if len(req) != 4 or req[0] != WEBLIST_STATIC or req[3] != KEY_REQUEST:
        return NO
    if not s:
        return MORE if len(c) == 1 else NO          # the list answers before the upload
    key_reply = s[0]
    if len(key_reply) != 8 or key_reply[:4] != req:
        return NO
    if len(c) < 2:
        return MORE
    up = c[1]
    if len(up) < UPLOAD_FIXED or up[0] != WEBLIST_STATIC or up[3] != DATA_UPLOAD:
        return NO
    if up[4:8] != key_reply[4:8] or len(up) != UPLOAD_FIXED + up[15]:
        return NO
    if len(s) > 1 and (len(s[1]) != 5 or s[1][:4] != up[:4]):
        return NO
    port, slots = struct.unpack_from("<HH", up, 8)
    return claim("teamspeak", 0.9, announced_port=port, slots=slots)


def probe(view, state):
    c, s = _units.nonempty(view)
    if not c and not s:
        return MORE
    first = (c or s)[0]
    if first[0] == WEBLIST_STATIC:
        return _probe_weblist(c, s) if c else NO   # the announcing server speaks first
    return _probe_init1(c, s)


SPEC = DetectorSpec(name="teamspeak", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=2,
                    prefilter=Prefilter(c2s=frozenset(b"T\x01"), s2c=frozenset(b"T\x01")),
                    max_confidence=1.0,
                    # Init1: both sides' first datagram starts "TS3INIT1" and holds the
                    # step (offset 17 for the client, 11 for the server); weblist: the
                    # key request and its echo both start 0x01 and have type 1 at 3,
                    # and the upload makes a third datagram.
                    gate=(Gate(min_len=12, bytes=((0, 0xff, 0x54, 0x54),)),
                          Gate(units=2, min_len=4, bytes=((0, 0xff, 1, 1), (3, 0xff, 1, 1)))))
