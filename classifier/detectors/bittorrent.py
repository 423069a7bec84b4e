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
    more = False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if len(data) < len(HANDSHAKE):
            if HANDSHAKE.startswith(data):
                more = True
                continue
            return NO
        if data.startswith(HANDSHAKE):
            ih = data[28:48].hex() if len(data) >= 48 else None
            return match("bittorrent", 1.0, transport_kind="tcp", info_hash=ih)
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


SPEC = DetectorSpec(name="bittorrent", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x13, ord("d"), 0x01, 0x11, 0x21, 0x31, 0x41)),
                                                       s2c=frozenset((0x13, ord("d"), 0x01, 0x11, 0x21, 0x31, 0x41))))
