"""netcode.io (mas-bandwidth/netcode STANDARD.md; the connection layer of the Yojimbo
game networking library): the client opens with a connection request packet, the only
unencrypted packet of the protocol, of exactly 1078 bytes:

    prefix byte 0x00 (packet type 0) | version "NETCODE 1.02" + NUL (13)
    | protocol id (u64) | connect token expire timestamp (u64)
    | connect token nonce (24) | encrypted private connect token data (1024)

Everything else (challenge, response, keep-alive, payload) is encrypted behind a
prefix byte whose low 4 bits give the packet type (1-6) and high 4 bits the sequence
number's byte count (1-8).  The request (its version string and exact size) is
confidence 1.0; the server's first packet, when present, must carry a valid prefix.
nDPI names this Yojimbo.  Metadata: version, protocol_id (hex).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

HEAD = b"\x00NETCODE 1."
SIZE = 1078


def _encrypted_prefix(b: int) -> bool:
    return 1 <= (b & 0x0F) <= 6 and 1 <= (b >> 4) <= 8


def probe(view, state):
    c, s = _units.nonempty(view)
    if not c:
        return NO if s else MORE         # the client's request opens every session
    req = c[0]
    if len(req) <= len(HEAD):
        # a prefix of the fixed start (datagrams arrive whole; the suite feeds prefixes)
        return MORE if HEAD.startswith(req) and len(c) == 1 and not s else NO
    if len(req) != SIZE or not req.startswith(HEAD) or req[13] != 0:
        return NO
    version = req[1:13]
    if not (version[8:9].isdigit() and version[9:10] == b"." and version[10:12].isdigit()):
        return NO                        # "NETCODE 1.02": major.minor digits
    if s and not _encrypted_prefix(s[0][0]):
        return NO
    return claim("netcode", 1.0, version=dec(version[8:]),
                 protocol_id=int.from_bytes(req[14:22], "little").to_bytes(8, "big").hex())


SPEC = DetectorSpec(name="netcode", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset((0,))), max_confidence=1.0,
                    # the client's first datagram: 1078 bytes opening "\0NETCODE 1.", a NUL at 13
                    gate=Gate(c2s_only=True, min_len=SIZE, bytes=tuple(
                        (k, 0xFF, HEAD[k], HEAD[k]) for k in (0, 1, 2, 3, 4, 8, 9)) + ((13, 0xFF, 0, 0),)))
