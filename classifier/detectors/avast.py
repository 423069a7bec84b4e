"""Avast antivirus "NOSA" framing (nDPI's avast.c): every message starts with the
ASCII magic "NOSA" and a u16 BE length of the whole message, header included; two
further bytes name the message (0x01 0x01 in the client's first, 0x01 0x02 in the
server's answer in public captures), then an opaque body.  The client speaks first.

This detector walks the messages of each direction: each starts with "NOSA", its
length covers at least the 8-byte header, and the bytes seen end on a message boundary
or inside one (MORE).  A whole message on one side is a match (0.85: a 4-byte magic
plus an agreeing length); whole messages on both sides, 0.95.
Metadata: messages (whole messages seen, both sides).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim, resyncing

MAGIC = b"NOSA"
HEADER = 8                            # magic, length, message type


def _messages(data: bytes):
    i, n = 0, 0
    while i < len(data):
        head = data[i:i + 6]
        if not MAGIC.startswith(head[:4]):
            return None
        if len(head) < 6:
            break
        size = int.from_bytes(head[4:6], "big")
        if size < HEADER:
            return None               # the length counts the header itself
        if i + size > len(data):
            break
        i += size
        n += 1
    return n if n else MORE


def _counted(data: bytes):
    """_messages's count as the one-item list _units.streams collects."""
    r = _messages(data)
    return r if r is None or r is MORE else [r]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    whole = _units.streams(view, _counted)
    if whole is MORE or whole is NO:
        return whole
    return claim("avast", 0.95 if len(whole) == 2 else 0.85, messages=sum(whole))


# A mid-stream direction may start inside a message: the other one may decide alone.
probe = resyncing(probe)

SPEC = DetectorSpec(name="avast", transports=("tcp",), probe=probe, resync=True, max_bytes=2048,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(b"N"), s2c=frozenset(b"N")),
                    max_confidence=0.95)
