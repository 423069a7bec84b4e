"""Zoom's UDP encapsulations (Princeton-Cabernet/zoom-analysis, "Enabling Passive
Measurement of Zoom Performance", and its Wireshark dissector; nDPI's zoom.c):

* the SFU encapsulation, between a client and Zoom's servers: type (u8), sequence
  (u16), 4 bytes, direction (u8: 0 to Zoom, 4 from Zoom), then for type 5 the media
  encapsulation: its type (13/30 screen share, 15 audio, 16 video, 33-35 RTCP) and a
  header of fixed size for that type, then an RTP (or RTCP) packet.  This detector
  takes type 5 with a known direction and media type only when an RTP version-2 header
  (RTCP for 33-35: version 2, packet type 200-204) sits exactly where the type puts it;
* the peer-to-peer hole-punching message: media type 0x1f, 0x02 0x01, a 24-byte
  header, then length-prefixed attributes (u32 big endian): the sender's IP address as
  text, then a textual UUID (8-4-4-4-12 hex digits), then four zero bytes that end the
  datagram exactly.

The SFU encapsulation's other types have only a few known bytes, which nDPI's zoom.c
(2024) pairs with Zoom's ports 8801-8810; without ports this detector takes them only
as an exchange whose answer repeats the request:

* session setup: the client's first datagram is type 1 with bytes 1-2 0x00 0x02 or
  0x00 0x03 (zoom.c's "first pkt from the client"); the server's first datagram is
  type 2 (zoom.c: 0x02 0x00 then 0x02 or 0x03; the third byte also 0x01 in nDPI's
  zoom.pcap) and repeats the client's bytes 3-19 (17 bytes: an identifier the answer
  echoes, observed on all three such flows of zoom.pcap, not documented);
* keep-alive: types 3 and 4 (zoom.c: "quite weak", it waits four packets and relies on
  the port): a type-3 datagram from one side answered by a type-4 datagram of the same
  length from the other whose bytes 1-12 are the same (observed on zoom.pcap's
  mid-session flow, not documented), in a flow whose first datagram each way is type 3
  or 4.  Twelve repeated bytes and the two types are the whole signature.

Confidence: peer-to-peer 0.9 (two lengths that must add up, an address and a UUID),
SFU media 0.8, setup and keep-alive exchanges 0.8.
Metadata: kind ("p2p", "sfu-media", "sfu-setup", "sfu-keepalive"), media (audio,
video, screen-share, rtcp).
"""
from __future__ import annotations

import re

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

# media type -> (name, offset of the RTP/RTCP header inside the media encapsulation)
MEDIA = {13: ("screen-share", 27), 30: ("screen-share", 20), 15: ("audio", 19),
         16: ("video", 24), 33: ("rtcp", 16), 34: ("rtcp", 16), 35: ("rtcp", 16)}
_IP = re.compile(rb"\A(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]{2,45})\Z")
_UUID = re.compile(rb"\A[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
P2P_HEAD = b"\x1f\x02\x01"


def _rtp_at(d: bytes, at: int, rtcp: bool) -> bool:
    if len(d) < at + (8 if rtcp else 12):
        return False
    b0, b1 = d[at], d[at + 1]
    if b0 >> 6 != 2:
        return False
    return 200 <= b1 <= 204 if rtcp else not 72 <= (b1 & 0x7F) <= 76   # RTCP's range
    

def _sfu_media(d: bytes):
    if len(d) < 9 or d[0] != 5 or d[7] not in (0, 4):
        return None
    spec = MEDIA.get(d[8])
    if spec is None:
        return None
    name, off = spec
    return name if _rtp_at(d, 8 + off, name == "rtcp") else None


def _p2p(d: bytes) -> bool:
    n = len(d)
    if n < 24 + 4 + 4 + 4 or not d.startswith(P2P_HEAD) or d[-4:] != b"\x00\x00\x00\x00":
        return False
    ip_len = int.from_bytes(d[24:28], "big")
    at = 28 + ip_len
    if not 7 <= ip_len <= 45 or at + 4 > n:
        return False
    uuid_len = int.from_bytes(d[at:at + 4], "big")
    if at + 4 + uuid_len + 4 != n:
        return False
    return bool(_IP.match(d[28:at]) and _UUID.match(d[at + 4:at + 4 + uuid_len]))


SETUP_ECHO = slice(3, 20)       # the client's type-1 bytes the server's type 2 repeats
KEEPALIVE_ECHO = slice(1, 13)   # the type-3 bytes the type-4 answer repeats


def _setup(c: list, s: list):
    """An SFU session setup: True, MORE, or None."""
    if not c or len(c[0]) < 3 or c[0][0] != 1 or c[0][1:3] not in (b"\x00\x02", b"\x00\x03"):
        return None
    if len(c[0]) < SETUP_ECHO.stop:
        return None
    if not s:
        return MORE
    a = s[0]
    if len(a) < SETUP_ECHO.stop or a[0] != 2 or a[1] != 0 or a[SETUP_ECHO] != c[0][SETUP_ECHO]:
        return None
    return True


def _keepalive(c: list, s: list):
    """A type-3 datagram answered by a type-4 one repeating it: True, MORE, or None."""
    def pings(side):
        return [d for d in side if d[0] == 3 and len(d) >= KEEPALIVE_ECHO.stop]

    def pongs(side):
        return [d for d in side if d[0] == 4 and len(d) >= KEEPALIVE_ECHO.stop]

    if any(d[0] not in (3, 4) for d in c[:1] + s[:1]):
        return None                     # such a flow opens with a keep-alive each way
    for ask, answer in ((pings(c), pongs(s)), (pings(s), pongs(c))):
        for q in ask:
            if any(len(a) == len(q) and a[KEEPALIVE_ECHO] == q[KEEPALIVE_ECHO] for a in answer):
                return True
    return MORE


def probe(view, state):
    c, s = _units.nonempty(view)
    dgs = c + s
    if not dgs:
        return MORE
    d = dgs[0]
    if len(d) < 9:
        # the suite's prefixes: a start that a whole datagram could complete
        ok = P2P_HEAD.startswith(d[:3]) or d[0] in (1, 3, 4, 5)
        if ok and len(dgs) == 1:
            return MORE
    elif _p2p(d):
        return claim("zoom", 0.9, kind="p2p")
    else:
        media = _sfu_media(d)
        if media:
            return claim("zoom", 0.8, kind="sfu-media", media=media)
    setup = _setup(c, s)
    if setup is True:
        return claim("zoom", 0.8, kind="sfu-setup")
    if setup is MORE:
        return MORE
    r = _keepalive(c, s)
    if r is True:
        return claim("zoom", 0.8, kind="sfu-keepalive")
    return MORE if r is MORE else NO


# the first bytes: the SFU types 2-5 and the peer-to-peer media type 0x1f.  Not type 1:
# a setup is only claimed with the server's type-2 answer, which admits the flow, and
# 0x01 would admit every STUN flow (a binding response starts 0x01 0x01).
_FIRST = frozenset((0x02, 0x03, 0x04, 0x05, 0x1f))
SPEC = DetectorSpec(name="zoom", transports=("udp",), probe=probe, max_bytes=2048, max_packets=4,
                    prefilter=Prefilter(c2s=_FIRST, s2c=_FIRST), max_confidence=0.9,
                    # A lone datagram matches only as peer-to-peer (0x1f 0x02 0x01) or as
                    # SFU media (type 5, direction 0 or 4 at byte 7, a media type 13-35 at
                    # byte 8): setup and keep-alive need the other side's answer.
                    gate=Gate(lone=True, min_len=9,
                              forms=(((0, 0xFF, 0x1F, 0x1F), (1, 0xFF, 2, 2), (2, 0xFF, 1, 1)),
                                     ((0, 0xFF, 5, 5), (7, 0xFB, 0, 0), (8, 0xFF, 13, 35)))))
