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

The SFU session-setup messages (types 1-4) have only a few known bytes (nDPI pairs
them with Zoom's ports), so they are left alone.  Confidence: peer-to-peer 0.9 (two
lengths that must add up, an address and a UUID), SFU media 0.8.
Metadata: kind ("p2p" or "sfu-media"), media (audio, video, screen-share, rtcp).
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim

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


def probe(view, state):
    dgs = [d for d in view.datagrams_c2s if d] + [d for d in view.datagrams_s2c if d]
    if not dgs:
        return MORE
    d = dgs[0]
    if len(d) < 9:
        # the suite's prefixes: a start that a whole datagram could complete
        ok = P2P_HEAD.startswith(d[:3]) or d[0] == 5
        return MORE if ok and len(dgs) == 1 else NO
    if _p2p(d):
        return claim("zoom", 0.9, kind="p2p")
    media = _sfu_media(d)
    if media:
        return claim("zoom", 0.8, kind="sfu-media", media=media)
    return NO


SPEC = DetectorSpec(name="zoom", transports=("udp",), probe=probe, max_bytes=2048, max_packets=1,
                    prefilter=Prefilter(c2s=frozenset((0x05, 0x1f)), s2c=frozenset((0x05, 0x1f))),
                    max_confidence=0.9)
