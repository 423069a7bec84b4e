"""RTPS, the DDS interoperability wire protocol (OMG DDSI-RTPS 2.x, section 8.3/9.4):
every datagram is a message, "RTPS", protocol version (major 2, or 1 from old
implementations), vendor id (2) and GUID prefix (12), then submessages, each an id
(1), flags (1; bit 0: little-endian), a 16-bit length in that byte order and the
submessage body; the submessages tile the datagram (a length of 0 on the last one means
"to the end").  RTI Connext's liveliness ping is the 16-byte "RTPS", version, vendor,
then "NDDSPING".

The detector walks the submessages (ids from the specification's table, vendor-specific
0x80-0xFF and the DDS-Security 0x30-0x3F range) to the datagram's end.  Metadata:
vendor_id (hex), version.
"""
from __future__ import annotations

from . import _units
from .base import MORE, DetectorSpec, Prefilter, claim

SUBMESSAGES = frozenset((0x01, 0x06, 0x07, 0x08, 0x09, 0x0C, 0x0D, 0x0E, 0x0F, 0x11, 0x12,
                         0x13, 0x14, 0x15, 0x16)) | frozenset(range(0x30, 0x40)) | frozenset(range(0x80, 0x100))


def _message(d: bytes):
    if len(d) < 20:
        if d[:4] != b"RTPS"[:len(d[:4])] or (len(d) > 4 and d[4] not in (1, 2)):
            return None
        if len(d) == 16 and d[8:16] == b"NDDSPING":
            return {"vendor_id": d[6:8].hex(), "version": f"{d[4]}.{d[5]}"}
        return MORE
    if d[:4] != b"RTPS" or d[4] not in (1, 2):
        return None
    pos, n = 20, 0
    while pos < len(d):
        if pos + 4 > len(d) or d[pos] not in SUBMESSAGES:
            return None
        ln = int.from_bytes(d[pos + 2:pos + 4], "little" if d[pos + 1] & 1 else "big")
        n += 1
        if ln == 0 and d[pos] not in (0x01, 0x09):     # "to the end" (PAD, INFO_TS may be empty)
            break
        pos += 4 + ln
        if pos > len(d):
            return None
    if n == 0:
        return None                      # a header with no submessage
    return {"vendor_id": d[6:8].hex(), "version": f"{d[4]}.{d[5]}"}


def probe(view, state):
    meta = _units.scan(view, SPEC.max_bytes, _message)
    if not isinstance(meta, dict):
        return meta                        # NO, or MORE while a unit is incomplete
    return claim("rtps", 0.95, **meta)


SPEC = DetectorSpec(name="rtps", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"R"), s2c=frozenset(b"R")),
                    max_confidence=0.95)
