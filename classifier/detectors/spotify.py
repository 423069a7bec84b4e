"""Spotify, two exchanges with payload structure of their own:

* UDP, LAN discovery: the desktop client broadcasts datagrams that start with the
  ASCII magic "SpotUdp" and a version digit ("SpotUdp0"), then a binary body (nDPI's
  spotify.c matches the magic).  Usually one side only.
* TCP, the access-point handshake (the open-source librespot client documents it):
  the client opens with the two bytes 0x00 0x04, a u32 BE length of the whole message
  (these 6 bytes included) and a ClientHello protocol buffer, whose first field is
  build_info (field 10, length-delimited: key byte 0x52); the server answers with a
  u32 BE length of the whole message and an APResponseMessage whose first field is
  the challenge (field 10: 0x52), or upgrade (20: 0xa2 0x01) / login_failed (30:
  0xf2 0x01).  Everything after the handshake is encrypted.

The UDP rule is an 8-byte magic (0.9).  The TCP rule needs both sides: the client's
prefix and a length that covers a protocol buffer, the server's length and first
field key (0.85: several constrained fields, lengths that agree).
Metadata: kind ("lan-discovery" or "ap-handshake").
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MAGIC = b"SpotUdp"
MAX_HELLO = 1 << 16                   # a handshake message is a few hundred bytes
SERVER_KEYS = (b"\x52", b"\xa2\x01", b"\xf2\x01")


def _discovery(dg: bytes):
    if not MAGIC.startswith(dg[:7]):
        return None
    if len(dg) < 9:
        return MORE
    return dg[7:8].isdigit() or None


def _udp(view):
    seen = False
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for dg in dgs:
            if not dg:
                continue
            r = _discovery(dg)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            seen = True
    return claim("spotify", 0.9, kind="lan-discovery") if seen else MORE


def _tcp(view):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE      # the client speaks first
    if not b"\x00\x04".startswith(c[:2]):
        return NO
    if len(c) < 7:
        return MORE
    size = int.from_bytes(c[2:6], "big")
    if not 8 <= size <= MAX_HELLO or c[6] != 0x52:
        return NO
    if not s:
        return MORE
    if len(s) < 6:
        return MORE
    size = int.from_bytes(s[0:4], "big")
    if not 6 <= size <= MAX_HELLO or not any(s[4:].startswith(k) for k in SERVER_KEYS):
        return NO
    return claim("spotify", 0.85, kind="ap-handshake")


def probe(view, state):
    if view.transport == "udp":
        return _udp(view)
    return _tcp(view)


SPEC = DetectorSpec(name="spotify", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"S\x00"), s2c=frozenset(b"S\x00")),
                    max_confidence=0.9,
                    # UDP: every datagram is a LAN discovery "SpotUdp" and a digit (9 bytes or more)
                    gate=Gate(min_len=9, bytes=tuple((k, 0xFF, b, b) for k, b in enumerate(MAGIC))
                              + ((7, 0xFF, 0x30, 0x39),)))
