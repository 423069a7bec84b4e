"""Discord voice over UDP: before any media, the client learns its public address with
the IP discovery exchange (Discord developer documentation, "Voice Connections", IP
Discovery): both packets are exactly 74 bytes,

    type (u16: 0x1 request, 0x2 response) | length (u16: 70)
    | SSRC (u32) | address (64 bytes: NUL-terminated text, zero in the request)
    | port (u16)

all big endian; the response echoes the request's SSRC and fills in the address the
server saw and its port.  A request alone (type, length, exact size, an empty address
field) is confidence 0.8; with the response (same SSRC, an IP address as text) 1.0.
Media that follows is encrypted RTP.  Metadata: ssrc, address (from the response).
"""
from __future__ import annotations

import re

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

SIZE = 74
_ADDR = re.compile(rb"\A(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]{2,39})\Z")


def _packet(d: bytes, kind: int):
    """(ssrc, address) for a discovery packet of `kind`, MORE for a prefix, or None."""
    head = kind.to_bytes(2, "big") + (70).to_bytes(2, "big")
    if len(d) < SIZE:
        return MORE if head.startswith(d[:4]) and len(d) < 8 else None
    if len(d) != SIZE or d[:4] != head:
        return None
    field = d[8:72]
    addr, _, pad = field.partition(b"\x00")
    if pad.strip(b"\x00") or (kind == 1 and addr and not _ADDR.match(addr)):
        return None                      # NUL-terminated text, zero padding
    if kind == 2 and not _ADDR.match(addr):
        return None
    return d[4:8], addr


def probe(view, state):
    c, s = _units.nonempty(view)
    if not c:
        return NO if s else MORE         # the client asks first
    req = _packet(c[0], 1)
    if req is None:
        return NO
    if req is MORE:
        return MORE if len(c) == 1 and not s else NO
    if not s:
        return claim("discord", 0.8, ssrc=req[0].hex())
    resp = _packet(s[0], 2)
    if resp is None or resp is MORE or resp[0] != req[0]:
        return NO                        # the response echoes the SSRC
    return claim("discord", 1.0, ssrc=req[0].hex(), address=dec(resp[1]))


SPEC = DetectorSpec(name="discord", transports=("udp",), probe=probe, max_bytes=512, max_packets=1,
                    prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))), max_confidence=1.0,
                    # the client's first datagram is a 74-byte request: type 1, length 70
                    gate=Gate(c2s_only=True, min_len=SIZE, bytes=(
                        (0, 0xFF, 0, 0), (1, 0xFF, 1, 1), (2, 0xFF, 0, 0), (3, 0xFF, 70, 70))))
