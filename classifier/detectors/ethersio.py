"""Ether-S-I/O (Saia-Burgess remote I/O over UDP, 6060; Wireshark's ESIO dissector):
every telegram starts with "ESIO", a telegram type (2: 1 data transfer, 2 status/diag),
a version (2, 0) and a length (2, the whole telegram), then a transaction id (2).  A data
transfer continues with telegram id (4), source station (4), the number of transfers
(1), flags (1) and that many transfers, each transfer id (4), destination id (4), data
length (2) and data, which together fill the telegram exactly.

The detector relies on the magic, type, version, the length agreeing with the datagram
and, for transfers, the transfer list filling it.  Metadata: telegram ("transfer" or
"status").
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim


def _telegram(d: bytes):
    if len(d) < 12:
        ok = b"ESIO".startswith(d[:4]) and d[4:5] in (b"", b"\x00") and \
            (len(d) < 6 or d[5] in (1, 2)) and d[6:8] == b"\x00\x00"[:len(d[6:8])]
        return MORE if ok else None
    if d[:4] != b"ESIO" or d[4] != 0 or d[5] not in (1, 2) or d[6:8] != b"\x00\x00":
        return None
    if int.from_bytes(d[8:10], "big") != len(d):
        return None                      # the length covers the telegram
    if d[5] == 2:
        return "status" if len(d) >= 24 else None
    if len(d) < 22 or d[20] == 0:
        return None
    pos = 22
    for _ in range(d[20]):
        if pos + 10 > len(d):
            return None
        pos += 10 + int.from_bytes(d[pos + 8:pos + 10], "big")
    return "transfer" if pos == len(d) else None


def probe(view, state):
    found, more = None, False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = _telegram(d)
        if r is None:
            if whole:
                return NO                  # every datagram of the flow is one
            continue                       # the byte budget may have cut this one
        if r is MORE:
            more = True
        else:
            found = found or r
    if found is None:
        return MORE if more else NO
    return claim("ethersio", 0.95, telegram=found)


SPEC = DetectorSpec(name="ethersio", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"E"), s2c=frozenset(b"E")),
                    max_confidence=0.95)
