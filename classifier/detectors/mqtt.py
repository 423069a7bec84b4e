"""MQTT 3.1 / 3.1.1 / 5 over TCP: the client's first packet is CONNECT (0x10), a
variable-length remaining length, then the protocol name "MQTT" (level 4/5) or
"MQIsdp" (level 3); the server answers CONNACK (0x20).  Metadata: version, client_id.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match

NAMES = {b"\x00\x04MQTT": (4, 5), b"\x00\x06MQIsdp": (3,)}


def _remaining(data: bytes, pos: int):
    n, mult = 0, 1
    for i in range(4):
        if pos + i >= len(data):
            return MORE
        b = data[pos + i]
        n += (b & 0x7F) * mult
        mult <<= 7
        if not b & 0x80:
            return n, pos + i + 1
    return None                             # at most four length bytes


def probe(view, state):
    c = view.payload_c2s
    if not c:
        s = view.payload_s2c
        return MORE if s[:1] == b"\x20" else NO
    if c[0] != 0x10:
        return NO                           # CONNECT has flags 0 (MQTT 3.1.1 2.2.2)
    r = _remaining(c, 1)
    if r is None:
        return NO
    if r is MORE:
        return MORE
    n, pos = r
    for name, levels in NAMES.items():
        head = c[pos:pos + len(name)]
        if name.startswith(head) and len(head) < len(name):
            return MORE
        if head == name:
            p = pos + len(name)
            if p >= len(c):
                return MORE
            if c[p] not in levels:
                return NO
            ver = {3: "3.1", 4: "3.1.1", 5: "5.0"}[c[p]]
            cid = None
            if c[p] in (3, 4) and len(c) >= p + 6:
                ln = int.from_bytes(c[p + 4:p + 6], "big")
                cid = dec(c[p + 6:p + 6 + ln])
            return match("mqtt", 1.0, version=ver, client_id=cid)
    return NO


SPEC = DetectorSpec(name="mqtt", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0x10,)), s2c=frozenset((0x20,))))
