"""Telegram's MTProto over TCP (core.telegram.org, "MTProto transports" and "Mobile
Protocol: Detailed Description").  The client first names its transport with a tag
the server recognises: 0xEF (abridged: each packet is a 1-byte length/4, or 0x7F and a
3-byte LE length/4, then the packet), 0xEEEEEEEE (intermediate: a u32 LE length, then
the packet), 0xDDDDDDDD (padded intermediate: the same with 0-15 random bytes of
padding counted in the length); the full transport has no tag: a u32 LE length of the
whole packet, a u32 LE sequence number starting at 0, the payload and a CRC32 of all
that precedes it.  The server answers in the same framing without a tag.

A new connection starts the authorization-key exchange with unencrypted messages: an
auth_key_id of 0 (8 bytes), a message_id (8 bytes, divisible by 4 for the client's,
4k+1 for the server's answers), a u32 LE message_data_length and the message, whose
first 4 bytes are its TL constructor: req_pq_multi (0xbe7e8ef1) or req_pq (0x60469778)
from the client, resPQ (0x05162463) from the server.

This detector requires a transport's framing around a whole first packet that is such
an unencrypted message, its lengths agreeing (0.9); the server's resPQ in the same
framing raises it to 0.95.  Connections on an established key (auth_key_id not 0)
carry no structure to name in the plain transports.

The obfuscated transport ("MTProto transports", "Transport obfuscation"; the clients
gotd/td internal/mtproxy/obfuscated2 and gram-js TCPObfuscated do the same) opens with
a 64-byte preamble: 56 random bytes, the transport's tag as a u32 (0xefefefef abridged,
0xeeeeeeee intermediate, 0xdddddddd padded intermediate), 4 more bytes, the whole
encrypted with AES-256-CTR under key = bytes 8-39 and IV = bytes 40-55 of the preamble
itself, and bytes 0-55 sent as generated.  The client never starts it with 0xef, with
a first u32 that another transport or HTTP/TLS would show ("HEAD", "POST", "GET ",
"OPTI", 0x16030102, the two tags) or a second u32 of 0.  So a connection straight to
Telegram's servers can be recognised: decrypting bytes 56-59 with the key and IV the
preamble carries gives one of the three tags (a 2^-32 chance for random bytes; 0.9).
Through an MTProxy the key is hashed with the proxy's secret, and nothing is claimed.
Metadata: transport (abridged, intermediate, padded-intermediate, full,
obfuscated-abridged, obfuscated-intermediate, obfuscated-padded-intermediate), request
(the plain transports' first request).
"""
from __future__ import annotations

import zlib

from ._fast import aes256_ctr_at
from .base import MORE, NO, DetectorSpec, Prefilter, claim

TAGS = ((b"\xef", "abridged"), (b"\xee\xee\xee\xee", "intermediate"), (b"\xdd\xdd\xdd\xdd", "padded-intermediate"))
REQUESTS = {0xbe7e8ef1: "req_pq_multi", 0x60469778: "req_pq"}
RES_PQ = 0x05162463
MAX_PACKET = 1 << 16                  # key-exchange messages are a few hundred bytes


def _unencrypted(p: bytes, padded: bool, parity: int):
    """The TL constructor of an unencrypted message p, or None."""
    if len(p) < 24 or p[:8] != bytes(8):
        return None
    msg_id = int.from_bytes(p[8:16], "little")
    if msg_id == 0 or msg_id % 4 != parity:
        return None
    size = int.from_bytes(p[16:20], "little")
    if size < 4 or (20 + size != len(p) and not (padded and 0 <= len(p) - 20 - size <= 15)):
        return None
    return int.from_bytes(p[20:24], "little")


def _packet(data: bytes, kind: str):
    """(packet bytes, padded) of the first packet in data under framing kind, MORE, None."""
    if kind == "abridged":
        if not data:
            return MORE
        if data[0] == 0x7F:
            if len(data) < 4:
                return MORE
            size, start = int.from_bytes(data[1:4], "little") * 4, 4
        elif data[0] < 0x7F:
            size, start = data[0] * 4, 1
        else:
            return None               # a quick-ACK request: not in an unencrypted exchange
    elif kind == "full":
        if len(data) < 12:
            return MORE
        total = int.from_bytes(data[0:4], "little")
        if not 12 + 24 <= total <= MAX_PACKET or data[4:8] != bytes(4):
            return None               # the first packet of each side has sequence number 0
        if len(data) < total:
            return MORE
        if zlib.crc32(data[:total - 4]) != int.from_bytes(data[total - 4:total], "little"):
            return None
        return data[8:total - 4], False
    else:
        if len(data) < 4:
            return MORE
        size, start = int.from_bytes(data[0:4], "little"), 4
    if not 24 <= size <= MAX_PACKET:
        return None
    if len(data) < start + size:
        return MORE
    return data[start:start + size], kind == "padded-intermediate"


def _client(c: bytes):
    """(transport, constructor) of the client's opening, MORE, or None."""
    for tag, kind in TAGS:
        if c[:len(tag)] == tag[:len(c)]:
            if len(c) < len(tag):
                return MORE
            r = _packet(c[len(tag):], kind)
            break
    else:
        kind = "full"
        r = _packet(c, kind)
    if r is None or r is MORE:
        return r
    constructor = _unencrypted(r[0], r[1], 0)
    if constructor not in REQUESTS:
        return None
    return kind, constructor


PREAMBLE = 64
# first u32s (little endian) an obfuscated client never sends: HEAD, POST, GET , OPTI,
# a TLS record's 16 03 01 02, and the intermediate tags
NOT_FIRST = frozenset((0x44414548, 0x54534F50, 0x20544547, 0x4954504F, 0x02010316,
                       0xDDDDDDDD, 0xEEEEEEEE))
OBFUSCATED_TAGS = {0xEFEFEFEF: "obfuscated-abridged", 0xEEEEEEEE: "obfuscated-intermediate",
                   0xDDDDDDDD: "obfuscated-padded-intermediate"}
def _obfuscated(c: bytes):
    """The obfuscated transport's name, MORE, or None."""
    if c[0] == 0xEF or (len(c) >= 4 and int.from_bytes(c[0:4], "little") in NOT_FIRST):
        return None
    if len(c) >= 8 and c[4:8] == bytes(4):
        return None
    if len(c) < PREAMBLE:
        return MORE
    # AES-256-CTR under key = bytes 8-39, IV = 40-55: only bytes 56-59 are needed, one
    # block of the key stream (compiled: _wire_aes.pxi)
    stream = aes256_ctr_at(c[8:40], c[40:56], 56, 4)
    tag = int.from_bytes(c[56:60], "little") ^ int.from_bytes(stream, "little")
    return OBFUSCATED_TAGS.get(tag)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE      # the client speaks first
    r = _client(c)
    if r is None:
        kind = _obfuscated(c)
        if kind is None or kind is MORE:
            return NO if kind is None else MORE
        return claim("telegram", 0.9, transport=kind)
    if r is MORE:
        return MORE
    kind, constructor = r
    meta = {"transport": kind, "request": REQUESTS[constructor]}
    if not s:
        return claim("telegram", 0.9, **meta)
    a = _packet(s, kind)
    if a is MORE:
        return MORE
    if a is None or _unencrypted(a[0], a[1], 1) != RES_PQ:
        return NO
    return claim("telegram", 0.95, **meta)


# any first byte: the obfuscated preamble's is random (the plain transports' are the three
# tags' and the full transport's length, 52 (0x34) for req_pq / req_pq_multi)
SPEC = DetectorSpec(name="telegram", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(any=True), max_confidence=0.95)
