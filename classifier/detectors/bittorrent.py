"""BitTorrent: the TCP peer handshake (``\\x13BitTorrent protocol``), the DHT (bencoded
KRPC dictionaries over UDP, BEP 5), and uTP (BEP 29: version 1 header, type 0-4,
connection id shared by both sides).  Metadata: transport_kind, info_hash (TCP).
"""
from __future__ import annotations

import re

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

HANDSHAKE = b"\x13BitTorrent protocol"
_KRPC = re.compile(rb"d1:([aqr])d|d2:ip|d1:e")


# probe(view, state): TCP -- the 20-byte handshake magic at the start (1.0) or after
# Message Stream Encryption's keys (0.95), info_hash from it; UDP -- the first datagram
# a bencoded KRPC dictionary (DHT, 0.95), or uTP headers whose (non-zero) connection
# ids match across the datagrams (0.9).  Compiled: bittorrent.pxi.
probe = _fast.bittorrent_probe


# any: an MSE-wrapped TCP session starts with a random Diffie-Hellman key, so the first
# byte says nothing; the probe itself is a cheap substring search.
SPEC = DetectorSpec(name="bittorrent", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(any=True),
                    # UDP: alone, a datagram matches only as a DHT dictionary ("d"); uTP
                    # needs a second header with the same connection id
                    gate=Gate(lone=True, min_len=1, bytes=((0, 0xff, 0x64, 0x64),)))
