"""Messaging apps whose wire format only another tool's dissector and an open-source
client describe (Viber over TCP and UDP, Threema's chat server protocol, imo.im's UDP
calls), spec-built: nothing installable here speaks them (closed clients and servers,
keys held by the vendors), so each exchange has the shape the detector module cites
(classifier/detectors/viber.py, threema.py, imo.py: nDPI's viber.c, threema.c and
imo.c; the Threema Cryptography Whitepaper and the o3ma/o3 client for the handshake's
sizes), with seeded random bytes for what is ciphertext, keys or unread fields, and
pcaps/gen/peers/spec_peer.py plays both sides on loopback.  The manifest says so:
server and client software "spec-built-python", the variant names what the exchange
shows.

None of the three has an IANA registration (the vendors' servers and peer-to-peer
calls pick their ports), so every capture comes from the random-port run, one per
variant: viber-1 (TCP) and viber-2 (UDP), threema-1 (today's 191-byte login) and
threema-2 (o3's 144-byte one), imo-1 (a peer-to-peer call) and imo-2 (a relayed one).
``pcaps/generate --only msgapps`` rewrites all of them.
"""

from __future__ import annotations

import random
import struct

from .core import spec_exchange

NAME = "msgapps"
MODES = ("random",)
DEBIAN_PACKAGES = ()                  # the peer is the standard library's sockets
PYPI_PACKAGES = ()
RNG = random.Random(1914)


def rb(n: int) -> bytes:
    return bytes(RNG.randrange(256) for _ in range(n))


# ------------------------------------------------------------------ Viber (viber.c)
def _viber_msg(size: int, fixed: dict) -> bytes:
    """A TCP message: u16 LE length of the whole message, then opaque bytes, with the
    bytes viber.c reads set at their offsets."""
    body = bytearray(struct.pack("<H", size) + rb(size - 2))
    for at, value in fixed.items():
        body[at:at + len(value)] = value
    return bytes(body)


CLIENT_FIRST = {6: b"\xfc\xff", 9: b"\x80"}          # viber.c's first TCP rule
SERVER_MSG = {4: b"\x03\x80", 10: b"\x0a"}            # its second rule: the server's messages


def _viber_udp(tag: bytes, kind: int, size: int, head: bytes = b"") -> bytes:
    # the flow's two-byte tag, the message type (u16 LE), then the body
    return tag + struct.pack("<H", kind) + head + rb(size - 4 - len(head))


def viber(variant):
    if variant == 0:
        # TCP: the client's 40-byte first message alone in its packet; the server's
        # answer two messages in one packet; then one more message each way
        return [("c", _viber_msg(40, CLIENT_FIRST)),
                ("s", _viber_msg(36, SERVER_MSG) + _viber_msg(22, SERVER_MSG)),
                ("c", _viber_msg(64, {})),
                ("s", _viber_msg(28, SERVER_MSG))]
    # UDP: every datagram starts with the flow's tag and has a type below 256; the
    # client opens with type 1 followed by 05 00, then a 20-byte type 9
    tag = rb(2)
    return [("c", _viber_udp(tag, 0x01, 62, b"\x05\x00")),
            ("s", _viber_udp(tag, 0x0c, 74)),
            ("c", _viber_udp(tag, 0x09, 20)),
            ("s", _viber_udp(tag, 0x0a, 20)),
            ("c", _viber_udp(tag, 0x1b, 34)),
            ("s", _viber_udp(tag, 0x1c, 34))]


# ------------------------------------------- Threema (whitepaper, o3, threema.c)
def _frame(box: int) -> bytes:
    # u16 LE length, then a NaCl box: 16-byte MAC, 4-byte packet type, payload
    return struct.pack("<H", box) + rb(box)


def threema(variant):
    login = 191 if variant == 0 else 144
    return [("c", rb(32) + rb(16)),           # client hello: temporary key, client cookie
            ("s", rb(16) + rb(64)),           # server hello: cookie, box(key + client cookie)
            ("c", rb(login)),                 # the login (authentication) box
            ("s", rb(32)),                    # login acknowledgement, 16 bytes boxed
            ("c", _frame(28)),                # echo request: type + 8-byte counter, boxed
            ("s", _frame(28)),                # echo reply
            ("s", _frame(180)),               # an incoming message
            ("c", _frame(36))]                # its acknowledgement (sender id + message id)


# --------------------------------------------------------------------- imo (imo.c)
def _imo(body: bytes, relay: bool = False) -> bytes:
    """A datagram: an optional 0x00 (the relay's), a base-128 big-endian length of what
    follows (high bit: more digits), then the body (a type byte first)."""
    n, digits = len(body), []
    while True:
        digits.insert(0, n & 0x7F)
        n >>= 7
        if not n:
            break
    head = bytes(d | 0x80 for d in digits[:-1]) + bytes(digits[-1:])
    return (b"\x00" if relay else b"") + head + body


def imo(variant):
    call = rb(8)                                  # the id a ping carries and its pong repeats
    if variant == 0:
        # peer to peer: one-byte probes, nDPI's 10-byte ping (09 02), its pong, then
        # media datagrams of nDPI's 1099-byte shape (88 49 1a 00) and shorter ones
        return [("c", b"\x07"), ("s", b"\x07"),
                ("c", _imo(b"\x02" + call)), ("s", _imo(b"\x03" + call)),
                ("c", _imo(b"\x1a\x00" + rb(1095))), ("s", _imo(b"\x0d\x00" + rb(60))),
                ("c", _imo(b"\x1a\x00" + rb(1095))), ("s", _imo(b"\x0d\x00" + rb(60)))]
    # relayed: the relay's datagrams behind a zero byte, its pong nDPI's 11-byte shape
    return [("c", _imo(b"\x0d\x00" + rb(18))),
            ("s", _imo(b"\x03" + call, relay=True)),
            ("c", _imo(b"\x0d\x01" + rb(120))),
            ("s", _imo(b"\x0d\x02" + rb(219), relay=True)),
            ("c", _imo(b"\x0d\x01" + rb(120))),
            ("s", _imo(b"\x1a\x01" + rb(6), relay=True))]


EXCHANGES = [
    ("viber", viber, ("tcp", "udp"),
     ("TCP: the client's length-framed first message (fc ff at 6, 0x80 at 9), the server's "
      "messages (03 80 at 4, 0x0a at 10), two of them in its first packet",
      "UDP: datagrams all starting with the flow's two-byte tag; the client's type 1 (05 00), "
      "type 9 (20 bytes) and type 0x1b (34 bytes), the server's answers")),
    ("threema", threema, ("tcp", "tcp"),
     ("48-byte client hello, 80-byte server hello, 191-byte login (today's clients), 32-byte "
      "acknowledgement, then u16 LE length-framed boxes both ways",
      "48-byte client hello, 80-byte server hello, 144-byte login (o3's), 32-byte "
      "acknowledgement, then u16 LE length-framed boxes both ways")),
    ("imo", imo, ("udp", "udp"),
     ("peer to peer: one-byte probes, the 10-byte ping (09 02) and its pong, 1099-byte media "
      "datagrams (88 49 1a 00), all length-framed",
      "relayed: the client's length-framed datagrams, the relay's behind a zero byte, its "
      "11-byte pong (00 09 03) first")),
]
PREFIXES = tuple(p for p, *_ in EXCHANGES)


def run(ctx):
    for proto, build, transports, what in EXCHANGES:
        for variant in (0, 1):
            transport = transports[variant]
            spec_exchange(ctx, proto, transport, ctx.port(None, transport), build(variant),
                          f"{proto}-{variant}.json", f"spec-built: {what[variant]}")
