"""Syncthing local discovery (docs.syncthing.net, "Local Discovery Protocol v4"):
each device broadcasts (IPv4) or multicasts (IPv6 ff12::8384) an Announcement on UDP:
the magic 0x2EA7D90B (u32 BE), then an Announce protocol buffer: field 1, the 32-byte
device ID (key 0x0a, length 0x20), field 2, the addresses (strings such as
"tcp://192.0.2.1:22000"), field 3, the instance ID (varint).  Nothing answers it.
(The sync connection itself, BEP, sends its Hello with the same magic but inside TLS,
so on the wire it is `tls`.)

This detector relies on the magic and the announcement's protocol buffer: field 1 first
with its 32-byte ID, then only fields 2 (length-delimited) and 3 (varint) walking
exactly to the datagram's end (0.95: a 4-byte magic and a 34-byte structure).
Metadata: addresses (the announced ones, comma-separated).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAGIC = b"\x2e\xa7\xd9\x0b"


def _varint(b: bytes, i: int):
    """(value, next index) or None when the varint runs off the end or past 10 bytes."""
    v = shift = 0
    for k in range(i, min(i + 10, len(b))):
        v |= (b[k] & 0x7f) << shift
        if b[k] < 0x80:
            return v, k + 1
        shift += 7
    return None


def _announce(dg: bytes):
    """The announced addresses, MORE for a cut-short prefix, None otherwise."""
    if not MAGIC.startswith(dg[:4]):
        return None
    if not b"\x0a\x20".startswith(dg[4:6]):
        return None                   # field 1, the 32-byte device ID, comes first
    if len(dg) < 6:
        return MORE
    if len(dg) < 38:
        return MORE
    i, addresses = 38, []
    while i < len(dg):
        key = dg[i]
        if key == 0x12:               # field 2: an address string
            r = _varint(dg, i + 1)
            if r is None or r[1] + r[0] > len(dg):
                return MORE           # the string runs past what was captured
            n, j = r
            addresses.append(dg[j:j + n])
            i = j + n
        elif key == 0x18:             # field 3: the instance ID
            r = _varint(dg, i + 1)
            if r is None:
                return MORE
            i = r[1]
        else:
            return None
    return addresses


def probe(view, state):
    found = None
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for dg in dgs:
            if not dg:
                continue
            r = _announce(dg)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            found = r if found is None else found
    if found is None:
        return MORE
    return claim("syncthing", 0.95, addresses=dec(b",".join(found)) if found else None)


SPEC = DetectorSpec(name="syncthing", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset((0x2e,)), s2c=frozenset((0x2e,))),
                    max_confidence=0.95)
