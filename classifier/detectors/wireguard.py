"""WireGuard over UDP: message type 1-4 then three zero reserved bytes; handshake
initiation is exactly 148 bytes, response 92, cookie reply 64; transport data is
16 + a multiple of 16 (padded ciphertext + tag).  Metadata: message types seen.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match

SIZES = {1: (148,), 2: (92,), 3: (64,)}


def kind(dg: bytes):
    if dg[0] not in (1, 2, 3, 4):
        return None
    if len(dg) < 4:
        return MORE if all(b == 0 for b in dg[1:]) else None
    if dg[1:4] != b"\x00\x00\x00":
        return None                        # reserved bytes are always zero
    if dg[0] in SIZES:
        return dg[0] if len(dg) in SIZES[dg[0]] else None
    return 4 if len(dg) >= 32 and len(dg) % 16 == 0 else None


def _linked(view) -> bool:
    """A response (type 2) whose receiver index echoes the initiation's sender index:
    true of WireGuard variants that pad their handshakes (e.g. TunnelBear)."""
    c = next((d for d in view.datagrams_c2s if d[:4] == b"\x01\x00\x00\x00" and len(d) >= 148), None)
    s = next((d for d in view.datagrams_s2c if d[:4] == b"\x02\x00\x00\x00" and len(d) >= 92), None)
    return bool(c and s and c[4:8] == s[8:12])


def probe(view, state):
    kinds = []
    linked = _linked(view)
    for dg in list(view.datagrams_c2s[:3]) + list(view.datagrams_s2c[:3]):
        if not dg:
            continue
        k = kind(dg)
        if k is None and linked and dg[0] in (1, 2, 4):
            k = dg[0]
        if k is None and dg[:4] == b"\x01\x00\x00\x00" and len(dg) > 148 and not view.datagrams_s2c:
            return MORE                   # a padded initiation: the response will tell
        if k is None:
            return NO
        if k is MORE:
            return MORE
        kinds.append(k)
    if not kinds:
        return MORE
    if 1 in kinds or 2 in kinds:
        return match("wireguard", 1.0, messages=sorted(set(kinds)))
    # Transport data only (capture began after the handshake): the 3-zero-byte header
    # and 16-byte alignment in several packets is still distinctive.
    if len(kinds) >= 3:
        return match("wireguard", 0.7, messages=sorted(set(kinds)))
    return MORE


SPEC = DetectorSpec(name="wireguard", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset((1, 2, 3, 4)),
                                                       s2c=frozenset((1, 2, 3, 4))))
