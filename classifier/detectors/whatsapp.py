"""WhatsApp's chat transport (TCP, to the chat servers on 443 or 5222).  Open-source
clients (yowsup for the FunXMPP era, whatsmeow and Baileys for the Noise era) write
the same opening: the client sends the 2 ASCII bytes "WA", a protocol major and minor
byte (1.5 in the FunXMPP era; 5 or 6 and a dictionary version in the Noise era), then
frames, each a 3-byte big-endian header (a flags nibble, 0x0 or 0x8 for encrypted, and
a 20-bit length) and that many bytes.  Its first frame is a FunXMPP stream start (the
list token 0xF8) or a Noise HandshakeMessage protocol buffer carrying clientHello
(field 2, key 0x12).  A connection through an edge router first carries an "ED" 0x00
0x01 header with a 3-byte length and the routing data.  The server answers with frames
only: FunXMPP (0xF8) or a HandshakeMessage with serverHello (field 3, key 0x1A).

This detector requires the header, a whole first frame whose body starts as its era
says, and the frame headers of what follows; the server's first frame confirms (0.95;
the client alone: 0.85).
Metadata: version ("major.minor"), era ("funxmpp" or "noise").
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

EDGE = b"ED\x00\x01"
FUNXMPP_LIST = 0xF8                   # the list token that opens a FunXMPP stanza
NOISE_CLIENT_HELLO = 0x12             # HandshakeMessage.clientHello (field 2, bytes)
NOISE_SERVER_HELLO = 0x1A             # HandshakeMessage.serverHello (field 3, bytes)
MAX_FRAME = 1 << 20


def _frame(data: bytes, i: int):
    """(body start, body end) of the frame at i, MORE if it is not all there, None if
    its header breaks the rules."""
    if len(data) < i + 3:
        return MORE
    if data[i] >> 4 not in (0x0, 0x8):
        return None
    size = int.from_bytes(data[i:i + 3], "big") & 0xFFFFF
    if size == 0:
        return None
    if len(data) < i + 3 + size:
        return MORE
    return i + 3, i + 3 + size


def _client(c: bytes):
    """(major, minor, era) for a valid client opening, MORE, or None."""
    i = 0
    if c[:1] == b"E":                 # an edge-routing header first
        if len(c) < 7:
            return MORE if EDGE.startswith(c[:4]) else None
        if c[:4] != EDGE:
            return None
        i = 7 + int.from_bytes(c[4:7], "big")
    if not b"WA".startswith(c[i:i + 2]):
        return None
    if len(c) < i + 4:
        return MORE
    major, minor = c[i + 2], c[i + 3]
    if not 1 <= major <= 6:
        return None
    r = _frame(c, i + 4)
    if r is None or r is MORE:
        return r
    first = c[r[0]]
    if first == FUNXMPP_LIST:
        era = "funxmpp"
    elif first == NOISE_CLIENT_HELLO:
        era = "noise"
    else:
        return None
    return major, minor, era


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE      # the client speaks first
    r = _client(c)
    if r is None or r is MORE:
        return NO if r is None else MORE
    major, minor, era = r
    if not s:
        return claim("whatsapp", 0.85, version=f"{major}.{minor}", era=era)
    f = _frame(s, 0)
    if f is None:
        return NO
    if f is MORE:
        return MORE
    want = FUNXMPP_LIST if era == "funxmpp" else NOISE_SERVER_HELLO
    if s[f[0]] != want:
        return NO
    return claim("whatsapp", 0.95, version=f"{major}.{minor}", era=era)


SPEC = DetectorSpec(name="whatsapp", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"WE"), s2c=frozenset(b"WE")),
                    max_confidence=0.95)
