"""Ethernet Global Data (GE/Emerson PLC producer-consumer data, UDP 18246): every
datagram carries a 32-byte little-endian header, PDU type 13 (0x0D) and version 1, a
request id that the producer increments for each datagram of an exchange, producer id
(4, usually its IPv4 address), exchange id (4), timestamp (seconds 4, nanoseconds 4),
status (4), configuration signature (4) and reserved (4, zero), then the exchange data.

The detector relies on the type and version, the reserved word and a valid nanosecond
count; a single datagram gets 0.8, a run from one producer whose request id counts up
by one 0.95.  Metadata: producer_id (dotted, as the producer's address), exchange_id.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim


def _header(d: bytes):
    if len(d) < 32:
        return MORE if b"\x0d\x01".startswith(d[:2]) and len(d) < 32 else None
    if d[:2] != b"\x0d\x01" or d[28:32] != b"\x00\x00\x00\x00":
        return None
    if int.from_bytes(d[20:24], "little") >= 1_000_000_000:
        return None                      # nanoseconds of the timestamp
    return (int.from_bytes(d[2:4], "little"), d[4:8], int.from_bytes(d[8:12], "little"))


def probe(view, state):
    found, more = [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = _header(d)
        if r is None:
            if whole:
                return NO                  # every datagram of the flow is one
            continue                       # the byte budget may have cut this one
        if r is MORE:
            more = True
            continue
        found.append(r)
    if not found:
        return MORE if more else NO
    req, producer, exchange = found[0]
    counting = len(found) >= 2 and all(
        b[0] == (a[0] + 1) & 0xFFFF and b[1:] == a[1:] for a, b in zip(found, found[1:]))
    return claim("egd", 0.95 if counting else 0.8,
                 producer_id=".".join(str(x) for x in producer), exchange_id=exchange)


SPEC = DetectorSpec(name="egd", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x0D,)), s2c=frozenset((0x0D,))),
                    max_confidence=0.95)
