"""Tencent games' connection protocol to TConnd, Tencent's game access server (TSF4G,
the Tencent Service Framework for Games): TGCP, "TConnd General Communication
Protocol".  Sources: lsj9383's notes on TSF4G (github.com/lsj9383/blog,
posts/tsf4g/tgcpapi-impl/readme.md: the GCP packet, its HEAD.base fields and the
command list) and nDPI's tencent_games.c (the leading bytes it matches).

Every TGCP packet is a clear-text HEAD then an encrypted BODY; HEAD.base holds, in this
order, magic (u16), head_version (u16), body_version (u16), command (u16), encrypted
(u8), sequence (u32), head_length (u32), body_length (u32), and the receiver frames
packets by head_length + body_length.  The connection opens with the client's SYN
(0x1001), answered by ACK (0x1002) (or, for a ticket login, straight by the later
downlink commands); the other commands are 0x2001/0x2002 (auth), 0x3002 (wait), 0x4013
(data), 0x4023 (transmit), 0x5001/0x5002 (stop), 0x6002 (bingo), 0x7001/0x7002 (auth
refresh), 0x8002 (route change), 0x9001 (heartbeat).  Three shapes are recognised:

* "tgcp": HEAD.base in fixed big-endian fields with magic 0x3366 (nDPI matches
  33 66 00 0b 00 0b: the magic and versions 11).  Required: the magic, a command of the
  list (the client's first one SYN), encrypted 0 or 1, head_length >= 21 (HEAD.base's
  size), and packets that tile the bytes: each packet ends where a TCP segment ends
  or the next packet begins.  Confidence 0.9.
* "tgcp-tlv": the same HEAD in a tagged encoding (tag byte = field << 4 | type; type 0
  a varint, type 5 a u32 length and that many bytes), magic 0x4366: the client sends
  43 66, then each side frames with 0xaa and a u32 length, then field 1 (type 5) holds
  the HEAD whose fields 1-4 are varints, field 1 the magic 0x4366 again and field 4
  a command of the list (nDPI matches 43 66 aa 00 / aa 00 00 00 and the magic's varint
  10 e6 86 01).  Required: both magics, the framing lengths nested and within the
  bytes, the command.  Confidence 0.9.
* "4215f787": nDPI's last rule, the 4 bytes 42 15 f7 87 then two bytes and two zero
  bytes; no public description of it was found, so every side that sent bytes must
  open so.  Confidence 0.8.

Left out: nDPI's rule "00 00, a 16-bit length of the rest, 78 01" (a length-prefixed
zlib stream): nothing public ties that framing to Tencent.
Metadata: shape, commands (each side's first command, for the TGCP shapes).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

COMMANDS = {0x1001: "SYN", 0x1002: "ACK", 0x2001: "AUTH_REQ", 0x2002: "AUTH_RSP",
            0x3002: "WAIT", 0x4013: "DATA", 0x4023: "TRANSMIT", 0x5001: "CSTOP",
            0x5002: "SSTOP", 0x6002: "BINGO", 0x7001: "AUTH_REFRESH_REQ",
            0x7002: "AUTH_REFRESH_NOTIFY", 0x8002: "ROUTE_CHANGE", 0x9001: "HEART_BEAT"}
SYN = 0x1001
MAGIC, MAGIC_TLV = 0x3366, 0x4366
MAGIC_BYTES = MAGIC.to_bytes(2, "big")
BASE = 21                      # HEAD.base's size in the fixed encoding
MAX_PACKET = 1 << 20
TLV_FRAME = 0xAA
MAGIC_4215 = bytes.fromhex("4215f787")


def _bounds(view, direction: int) -> set:
    out, pos = set(), 0
    for d, sz in zip(view.pkt_dirs, view.pkt_sizes):
        if d == direction and sz:
            pos += sz
            out.add(pos)
    return out


def _tgcp(data: bytes, bounds: set, client: bool):
    """The first command of one side in the fixed encoding, MORE, or None.  A packet's
    length is trusted once the next valid head follows it, or it ends where a TCP
    segment ends (where the data ends, when the segment sizes are unknown)."""
    pos, first, checked, n = 0, None, False, len(data)
    while pos < n:
        head = data[pos:pos + BASE]
        if len(head) < BASE:
            if not MAGIC_BYTES.startswith(head[:2]):
                return None
            break                       # a cut head: wait for the rest
        magic, _hv, _bv, cmd, enc, _seq, hlen, blen = struct.unpack(">HHHHBIII", head)
        if magic != MAGIC or cmd not in COMMANDS or enc > 1 or hlen < BASE:
            return None
        if first is None:
            if client and cmd != SYN:
                return None             # a connection opens with the client's SYN
            first = cmd
        else:
            checked = True              # the previous packet's length led here
        if hlen + blen > MAX_PACKET:
            return None
        pos += hlen + blen
    if pos == n and (n in bounds or not bounds):
        checked = True
    return first if first is not None and checked else MORE


def _varint(b: bytes, i: int):
    v = shift = 0
    for k in range(5):
        if i + k >= len(b):
            return None, i + k
        x = b[i + k]
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i + k + 1
    return -1, i


def _tgcp_tlv(data: bytes, client: bool):
    """The first command of one side in the tagged encoding, MORE, or None."""
    at = 0
    if client:
        if not data.startswith(b"\x43\x66"):
            return MORE if b"\x43\x66".startswith(data[:2]) and len(data) < 2 else None
        at = 2
    fr = data[at:at + 10]
    if len(fr) < 10:
        ok = (not fr or fr[0] == TLV_FRAME) and (len(fr) < 6 or fr[5] == 0x15)
        return MORE if ok else None
    if fr[0] != TLV_FRAME or fr[5] != 0x15:
        return None
    flen, hlen = struct.unpack_from(">I", fr, 1)[0], struct.unpack_from(">I", fr, 6)[0]
    if flen < 10 + hlen or hlen < 8 or flen > MAX_PACKET:
        return None
    head = data[at + 10:at + 10 + hlen]
    i, fields = 0, {}
    for tag in (0x10, 0x20, 0x30, 0x40):    # HEAD fields 1-4, varints
        if i >= len(head):
            return MORE if len(head) < hlen else None
        if head[i] != tag:
            return None
        v, i = _varint(head, i + 1)
        if v is None:
            return MORE if len(head) < hlen else None
        fields[tag] = v
    if fields[0x10] != MAGIC_TLV or fields[0x40] not in COMMANDS:
        return None
    if client and fields[0x40] != SYN:
        return None
    return fields[0x40]


def _magic4215(data: bytes):
    if len(data) < 8:
        return MORE if MAGIC_4215.startswith(data[:4]) else None
    return True if data.startswith(MAGIC_4215) and data[6:8] == b"\0\0" else None


def _both(c, s, side):
    """Run side(data, client) on each non-empty direction: (results) or NO/MORE."""
    out = []
    for data, client in ((c, True), (s, False)):
        if data:
            r = side(data, client)
            if r is None:
                return NO
            out.append(r)
    if any(r is MORE for r in out):
        return MORE
    return out


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    first = (c or s)[0]
    if first == 0x33 or (not c and s[:1] == b"\x33"):
        cb, sb = _bounds(view, 0), _bounds(view, 1)
        r = _both(c, s, lambda d, cl: _tgcp(d, cb if cl else sb, cl))
        if r is MORE or r is NO:
            return r
        return claim("tencentgame", 0.9, shape="tgcp", commands=[COMMANDS[x] for x in r])
    if first in (0x43, TLV_FRAME):
        r = _both(c, s, _tgcp_tlv)
        if r is MORE or r is NO:
            return r
        return claim("tencentgame", 0.9, shape="tgcp-tlv", commands=[COMMANDS[x] for x in r])
    if first == 0x42:
        r = _both(c, s, lambda d, cl: _magic4215(d))
        if r is MORE or r is NO:
            return r
        return claim("tencentgame", 0.8, shape="4215f787")
    return NO


SPEC = DetectorSpec(name="tencentgame", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4,
                    prefilter=Prefilter(c2s=frozenset(b"\x33\x43\x42"),
                                        s2c=frozenset(b"\x33\xaa\x42")),
                    max_confidence=0.9)
