"""Nano (the cryptocurrency) node-to-node protocol over TCP (docs.nano.org, "Node
protocol": message header and node_id_handshake).  Every message starts with an 8-byte
header:

    magic 'R' | network id ('A' dev, 'B' beta, 'C' live, 'X' test)
    | version_max | version_using | version_min (u8 each)
    | message type (u8) | extensions (u16 little endian)

and a new connection opens with node_id_handshake (type 0x0a) both ways: extension bit
0x1 announces a query (a 32-byte cookie), 0x2 a response (the node id, 32 bytes, and a
64-byte signature; with the v2 bit 0x4 also a 32-byte salt and the 32-byte genesis
hash), so the message's size follows from its extensions.  This detector needs each
side's first message to be that handshake: network ids alike, min <= using <= max, the
size the extensions give (the first message ends there or another header follows).
One side: 0.8; both: 0.95.  Metadata: network (live, beta, dev, test), version_using.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

NETWORKS = {0x41: "dev", 0x42: "beta", 0x43: "live", 0x58: "test"}
HANDSHAKE = 0x0A


def _handshake(b: bytes):
    """(network, version_using) of a node_id_handshake opening `b`, MORE, or None."""
    if len(b) < 8:
        if b[:1] not in (b"", b"R") or len(b) > 1 and b[1] not in NETWORKS:
            return None
        return MORE
    if b[0] != 0x52 or b[1] not in NETWORKS or b[5] != HANDSHAKE:
        return None
    vmax, vuse, vmin = b[2], b[3], b[4]
    if not (vmin <= vuse <= vmax and 1 <= vmin and vmax < 64):
        return None
    ext = int.from_bytes(b[6:8], "little")
    if ext & 0xFFF8 or not ext & 0x3:
        return None                      # only the query/response/v2 bits are defined
    size = 8 + (32 if ext & 1 else 0) + ((32 + 64 + (64 if ext & 4 else 0)) if ext & 2 else 0)
    if len(b) < size:
        return MORE
    if len(b) > size and b[size] != 0x52:
        return None                      # the next message starts with its own magic
    return b[1], vuse


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    got = []
    for b in (c, s):
        if not b:
            continue
        r = _handshake(b)
        if r is None:
            return NO
        if r is MORE:
            return MORE
        got.append(r)
    if len({net for net, _ in got}) != 1:
        return NO                        # peers of one network
    conf = 0.95 if len(got) == 2 else 0.8
    return claim("nano", conf, network=NETWORKS[got[0][0]], version_using=got[0][1])


SPEC = DetectorSpec(name="nano", transports=("tcp",), probe=probe, max_bytes=1024, max_packets=3,
                    prefilter=Prefilter(c2s=frozenset(b"R"), s2c=frozenset(b"R")), max_confidence=0.95)
