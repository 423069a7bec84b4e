"""BitTorrent: the TCP peer handshake (``\\x13BitTorrent protocol``), the DHT (bencoded
KRPC dictionaries over UDP, BEP 5), and uTP (BEP 29: version 1 header, type 0-4,
connection id shared by both sides).  Metadata: transport_kind, info_hash (TCP).
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, match

HANDSHAKE = b"\x13BitTorrent protocol"
_KRPC = re.compile(rb"d1:([aqr])d|d2:ip|d1:e")


def _tcp(view):
    # Message Stream Encryption that settles on plaintext (crypto_select 0x01) puts the
    # clear handshake after the DH keys and padding: a 20-byte magic anywhere in the
    # first kilobytes is as telling as at offset 0.
    for data in (view.payload_c2s, view.payload_s2c):
        i = data.find(HANDSHAKE, 1)
        if i > 0:
            ih = data[i + 28:i + 48].hex() if len(data) >= i + 48 else None
            return match("bittorrent", 0.95, transport_kind="tcp-mse", info_hash=ih)
    more = False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if data.startswith(HANDSHAKE):
            ih = data[28:48].hex() if len(data) >= 48 else None
            return match("bittorrent", 1.0, transport_kind="tcp", info_hash=ih)
        more = True                        # maybe MSE: keys and padding come first
    if more and min(len(view.payload_c2s), len(view.payload_s2c)) >= 1024:
        # MSE's keys and padding take at most 608 bytes per side, so a clear
        # handshake would have shown by now in one direction or the other.
        return NO
    return MORE if more else NO


def _dht(dg: bytes) -> bool:
    # KRPC messages are dictionaries with a 't' transaction and 'y' type key.
    return dg[:1] == b"d" and dg.endswith(b"e") and (b"1:y1:" in dg or _KRPC.match(dg) is not None)


def _utp(dg: bytes):
    """connection id of a uTP header, or None."""
    if len(dg) < 20 or dg[0] & 0x0F != 1 or dg[0] >> 4 > 4 or dg[1] > 3:
        return None
    return int.from_bytes(dg[2:4], "big")


def _udp(view):
    c, s = list(view.datagrams_c2s[:4]), list(view.datagrams_s2c[:4])
    if not c and not s:
        return MORE
    first = (c or s)[0]
    if first[:1] == b"d":
        if _dht(first):
            return match("bittorrent", 0.95, transport_kind="dht")
        return NO if first.endswith(b"e") or len(first) > 64 else MORE
    cid = _utp(first)
    if cid is None:
        # A uTP header is 20 bytes; a shorter prefix with a valid type/version byte and
        # extension byte may still become one.
        if len(first) < 20 and first[0] & 0x0F == 1 and first[0] >> 4 <= 4 \
                and (len(first) < 2 or first[1] <= 3):
            return MORE
        return NO
    # uTP: the SYN (type 4) carries connection id X, the peer answers with X as well;
    # data packets use X+1 one way, X the other.
    if first[0] == 0x41 and len(first) == 20 and first[1] in (0, 2) and not s:
        return MORE
    other = s or c[1:]
    for dg in other:
        oc = _utp(dg)
        if oc is not None and abs(oc - cid) <= 1:
            return match("bittorrent", 0.9, transport_kind="utp")
    return NO if other else MORE


def probe(view, state):
    return _tcp(view) if view.transport == "tcp" else _udp(view)


# any: an MSE-wrapped TCP session starts with a random Diffie-Hellman key, so the first
# byte says nothing; the probe itself is a cheap substring search.
SPEC = DetectorSpec(name="bittorrent", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(any=True))
