"""WireGuard over UDP: message type 1-4 then three zero reserved bytes; handshake
initiation is exactly 148 bytes, response 92, cookie reply 64; transport data is
16 + a multiple of 16 (padded ciphertext + tag).  Metadata: message types seen.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

SIZES = {1: (148,), 2: (92,), 3: (64,)}


# probe(view, state): the first 3 datagrams of each side are WireGuard messages: type
# 1-4, three zero bytes, and the type's size (SIZES; transport data >= 32 bytes, a
# multiple of 16).  Padded handshakes count when the response's receiver index echoes
# the initiation's sender index.  An initiation or response 1.0; transport data alone
# in 3 datagrams 0.7.  Metadata: messages.  Compiled: wireguard.pxi.
probe = _fast.wireguard_probe


SPEC = DetectorSpec(name="wireguard", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset((1, 2, 3, 4)),
                                                       s2c=frozenset((1, 2, 3, 4))),
                    # A lone datagram is a message: its type's three reserved bytes are 0
                    # (a padded variant is recognised only by the other side's answer).
                    gate=Gate(lone=True, min_len=4, bytes=((1, 0xFF, 0, 0), (2, 0xFF, 0, 0), (3, 0xFF, 0, 0))))
