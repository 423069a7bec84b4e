"""RADIUS (RFC 2865/2866/5176) over UDP: code, identifier, length equal to the datagram
length, 16-byte authenticator, then attributes that must tile the rest exactly.
Metadata: code name, user_name when present.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match, parse_units

CODES = {1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject",
         4: "Accounting-Request", 5: "Accounting-Response", 11: "Access-Challenge",
         12: "Status-Server", 13: "Status-Client", 40: "Disconnect-Request",
         41: "Disconnect-ACK", 42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK",
         45: "CoA-NAK"}


def parse(dg: bytes):
    """dict of metadata, None (not RADIUS) or MORE (too short to tell)."""
    if dg[0] not in CODES:
        return None
    if len(dg) < 20:
        return MORE
    n = int.from_bytes(dg[2:4], "big")
    # The length field covers the whole packet; extra bytes are allowed as padding by
    # the RFC but in practice length == datagram size, and requiring it kills chance hits.
    if n < 20 or n > 4096 or n != len(dg):
        return None
    pos, meta, walked = 20, {"code": CODES[dg[0]]}, 0
    if n > 20 and (dg[20] == 0 or dg[21] < 2):
        return None                        # the first attribute must be well formed
    while pos < n:
        if pos + 2 > n:
            break
        t, alen = dg[pos], dg[pos + 1]
        if alen < 2 or pos + alen > n:
            # A damaged attribute list after a valid length and several good attributes
            # (seen in fuzzed and truncated captures): still RADIUS, less confident.
            if walked < 3:
                return None
            meta["malformed"] = True
            break
        walked += 1
        if t == 1:
            meta["user_name"] = dec(dg[pos + 2:pos + alen])
        pos += alen
    return meta


def probe(view, state):
    meta = parse_units(list(view.datagrams_c2s) + list(view.datagrams_s2c), parse)
    if meta is NO or meta is MORE:
        return meta
    return match("radius", 0.8 if meta.get("malformed") else 0.95, **meta) if meta else MORE


SPEC = DetectorSpec(name="radius", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(CODES), s2c=frozenset(CODES)), max_confidence=0.95)
