"""MQTT 3.1 / 3.1.1 / 5 over TCP: the client's first packet is CONNECT (0x10), a
variable-length remaining length, then the protocol name "MQTT" (level 4/5) or
"MQIsdp" (level 3); the server answers CONNACK (0x20).  Metadata: version, client_id.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

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


# Fixed-header flags allowed per packet type (MQTT 3.1.1 2.2.2): PUBLISH any QoS < 3,
# PUBREL/SUBSCRIBE/UNSUBSCRIBE exactly 0b0010, all others 0.
_FLAGS = {1: {0}, 2: {0}, 4: {0}, 5: {0}, 6: {2}, 7: {0}, 8: {2}, 9: {0}, 10: {2},
          11: {0}, 12: {0}, 13: {0}, 14: {0}, 15: {0}}


def chain(data: bytes) -> int:
    """Number of well-formed control packets tiling data from its start (a last
    packet cut by the byte budget counts); 0 when the tiling breaks."""
    pos = n = 0
    while pos < len(data):
        t, f = data[pos] >> 4, data[pos] & 0x0F
        if t == 0 or (t == 3 and f & 6 == 6) or (t != 3 and f not in _FLAGS[t]):
            return 0
        r = _remaining(data, pos + 1)
        if r is None:
            return 0
        if r is MORE:
            return n
        ln, p = r
        n += 1
        pos = p + ln
    return n


def probe(view, state):
    c = view.payload_c2s
    if not c or c[0] != 0x10:
        # Mid-stream (no CONNECT seen): packets of valid types and flags must tile both
        # directions, several of them -- a single 2-byte header proves nothing.
        cc, sc = chain(view.payload_c2s), chain(view.payload_s2c)
        if cc + sc >= 4 and cc and sc:
            return claim("mqtt", 0.75, midstream=True)
        if c and not cc or view.payload_s2c and not sc:
            return NO
        return MORE
    r = _remaining(c, 1)
    if r is None:
        return NO                           # remaining length: at most four bytes
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
                return NO                   # the level must match the protocol name
            ver = {3: "3.1", 4: "3.1.1", 5: "5.0"}[c[p]]
            cid = None
            if c[p] in (3, 4) and len(c) >= p + 6:
                ln = int.from_bytes(c[p + 4:p + 6], "big")
                cid = dec(c[p + 6:p + 6 + ln])
            return claim("mqtt", 1.0, version=ver, client_id=cid)
    return NO                               # CONNECT names the protocol "MQTT"/"MQIsdp"


SPEC = DetectorSpec(name="mqtt", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0x10, 0x30, 0x32, 0x34, 0x40, 0x82, 0xC0)),
                                        s2c=frozenset((0x20, 0x30, 0x32, 0x40, 0x90, 0xD0))))
