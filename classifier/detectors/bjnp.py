"""Canon BJNP (the discovery and control protocol of Canon printers and scanners, as
implemented by the cups-bjnp and SANE pixma backends): every datagram starts with a
16-byte header, a 4-byte magic ("BJNP" printer, "BJNB" scanner, "MFNP" multifunction),
a device type (0x01 printer, 0x02 scanner, 0x03 multifunction; 0x80 set on replies), a
command code, two reserved bytes, a sequence number, a session id and a 32-bit payload
length that must equal the bytes after the header.

Metadata: magic, command (code as a number), reply (bool).
"""
from __future__ import annotations

from . import _units
from .base import MORE, DetectorSpec, Prefilter, claim

MAGICS = (b"BJNP", b"BJNB", b"MFNP")
DEVICE_TYPES = frozenset((0x01, 0x02, 0x03, 0x81, 0x82, 0x83))


def _header(d: bytes):
    if len(d) < 16:
        return MORE if any(m.startswith(d[:4]) for m in MAGICS) and (len(d) < 5 or d[4] in DEVICE_TYPES) else None
    if d[:4] not in MAGICS or d[4] not in DEVICE_TYPES:
        return None
    if int.from_bytes(d[12:16], "big") != len(d) - 16:
        return None                     # the payload length is exact
    return {"magic": d[:4].decode(), "command": d[5], "reply": bool(d[4] & 0x80)}


def probe(view, state):
    meta = _units.scan(view, SPEC.max_bytes, _header)
    if not isinstance(meta, dict):
        return meta                        # NO, or MORE while a unit is incomplete
    return claim("bjnp", 0.95, **meta)


SPEC = DetectorSpec(name="bjnp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"BM"), s2c=frozenset(b"BM")),
                    max_confidence=0.95)
