"""TeamSpeak 3 voice over UDP: the session opens with the unencrypted "Init1"
handshake (ReSpeak's TS3 protocol description, tsdeclarations/ts3protocol.md):

    client  MAC "TS3INIT1" (8) | packet id 0x0065 (u16) | client id 0 (u16)
            | type 0x88 (Init1, unencrypted) | version (u32) | step (u8: 0, 2, 4) ...
    server  MAC "TS3INIT1" (8) | packet id 0x0065 (u16)
            | type 0x88 | step (u8: 1, 3, 127) ...

Everything after the handshake is encrypted.  An 8-byte ASCII magic, a fixed packet id
and type, and a step byte of the right parity for the side: confidence 1.0.
Metadata: steps (the handshake steps seen).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

MAGIC = b"TS3INIT1"
CLIENT_STEPS = (0, 2, 4)
SERVER_STEPS = (1, 3, 127)


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


def probe(view, state):
    c = [d for d in view.datagrams_c2s if d]
    s = [d for d in view.datagrams_s2c if d]
    if not c and not s:
        return MORE
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


SPEC = DetectorSpec(name="teamspeak", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset(b"T"), s2c=frozenset(b"T")),
                    max_confidence=1.0)
