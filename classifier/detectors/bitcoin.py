"""Bitcoin's peer-to-peer protocol over TCP (the Bitcoin developer reference,
"P2P Network": message headers).  Every message has a 24-byte header:

    start string (4: the network magic; mainnet f9 be b4 d9, testnet3 0b 11 09 07,
                  testnet4 1c 16 3f 28, signet 0a 03 cf 40, regtest fa bf b5 da)
    command name (12: ASCII, NUL-padded on the right)
    payload size (u32 little endian, at most 32 MiB)
    checksum (4: the first four bytes of SHA256(SHA256(payload)))

The connecting node sends "version" first and the peer answers with its own
"version" (then "verack").  This detector checks each side's first header, and the
checksum whenever the whole payload was seen: a magic, a command of lowercase
letters, a size and a 32-bit hash that must agree is confidence 1.0; a header whose
payload is not yet complete stays NEED_MORE.
Metadata: network, commands (each side's first), user_agent (from a version message).
"""
from __future__ import annotations

import hashlib

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

NETWORKS = {b"\xf9\xbe\xb4\xd9": "mainnet", b"\x0b\x11\x09\x07": "testnet3",
            b"\x1c\x16\x3f\x28": "testnet4", b"\x0a\x03\xcf\x40": "signet",
            b"\xfa\xbf\xb5\xda": "regtest"}
MAX_PAYLOAD = 32 * 1024 * 1024
_CMD = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")


def _message(b: bytes):
    """(network, command, payload) of the first message, MORE, or None."""
    if len(b) < 24:
        if len(b) >= 4 and b[:4] not in NETWORKS:
            return None
        if len(b) < 4 and not any(m.startswith(b) for m in NETWORKS):
            return None
        return MORE
    net = NETWORKS.get(b[:4])
    if net is None:
        return None
    raw = b[4:16]
    cmd = raw.rstrip(b"\x00")
    if not cmd or b"\x00" in cmd or not all(c in _CMD for c in cmd):
        return None                      # ASCII, NUL-padded on the right only
    size = int.from_bytes(b[16:20], "little")
    if size > MAX_PAYLOAD:
        return None
    if len(b) < 24 + size:
        return MORE
    payload = b[24:24 + size]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != b[20:24]:
        return None
    return net, cmd.decode(), payload


def _user_agent(payload: bytes):
    """The version message's user agent (a CompactSize-prefixed string at offset 80)."""
    if len(payload) < 81:
        return None
    n = payload[80]
    if n >= 0xfd:
        return None
    ua = payload[81:81 + n]
    return dec(ua) if len(ua) == n else None


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    got = []
    for b in (c, s):
        if not b:
            continue
        r = _message(b)
        if r is None:
            return NO
        if r is MORE:
            return MORE
        got.append(r)
    if len({net for net, _, _ in got}) != 1:
        return NO                        # both peers are on one network
    ua = next((_user_agent(p) for _, cmd, p in got if cmd == "version"), None)
    return claim("bitcoin", 1.0, network=got[0][0], commands=[cmd for _, cmd, _ in got], user_agent=ua)


SPEC = DetectorSpec(name="bitcoin", transports=("tcp",), probe=probe, max_bytes=2048, max_packets=4,
                    prefilter=Prefilter(c2s=frozenset(m[0] for m in NETWORKS), s2c=frozenset(m[0] for m in NETWORKS)),
                    max_confidence=1.0)
