"""Zabbix protocol (Zabbix manual, "Header and data length"): every message is the
4-byte magic "ZBXD", a flags byte (0x01 Zabbix protocol, 0x02 compressed, 0x04 large
packet: 8-byte lengths), the data length and the reserved length (the uncompressed
size when compressed, else 0), little-endian, then the data (JSON, or an agent's
passive-check answer).  Agents, proxies, senders and servers all frame both directions
so; the data length must fit what follows.
Metadata: flags, request (the JSON "request" value of the first message, when plain).
"""
from __future__ import annotations

import re
import struct

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAGIC = b"ZBXD"
REQUEST = re.compile(rb'^\s*\{\s*"request"\s*:\s*"([^"]{1,64})"')


def _message(d: bytes):
    if not d.startswith(MAGIC[:len(d)]):
        return None
    if len(d) < 5:
        return MORE
    flags = d[4]
    if not flags & 0x01 or flags & ~0x07:
        return None
    large = flags & 0x04
    hlen = 5 + (16 if large else 8)
    if len(d) < hlen:
        return MORE
    n, reserved = struct.unpack_from("<QQ" if large else "<II", d, 5)
    if n == 0 or n > 1 << 30 or (not flags & 0x02 and reserved):
        return None                          # reserved is the uncompressed size, or 0
    meta = {"flags": flags}
    if not flags & 0x02:
        m = REQUEST.match(d[hlen:hlen + min(n, 256)])
        if m:
            meta["request"] = dec(m.group(1))
    if len(d) > hlen + n and not d[hlen + n:].startswith(MAGIC[:len(d) - hlen - n]):
        return None                          # what follows a message is another one
    return meta


def probe(view, state):
    meta = _units.each_stream(view, _message)
    if meta is MORE or meta is NO:
        return meta
    return claim("zabbix", 0.95, **meta)


SPEC = DetectorSpec(name="zabbix", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"Z"), s2c=frozenset(b"Z")),
                    max_confidence=0.95)
