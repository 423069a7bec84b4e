"""VNC / RFB (RFC 6143 7.1.1): the server sends ``RFB xxx.yyy\\n`` (12 bytes), the
client answers with its own version string.  Metadata: server_version, client_version.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim

_VER = re.compile(rb"RFB (\d{3})\.(\d{3})\n")


def _version(data: bytes):
    if len(data) < 12:
        return MORE if b"RFB 000.000\n"[:len(data)] == re.sub(rb"\d", b"0", data) else None
    m = _VER.match(data)
    return f"{int(m.group(1))}.{int(m.group(2))}" if m else None


def probe(view, state):
    meta, more = {}, False
    for key, data in (("client_version", view.payload_c2s), ("server_version", view.payload_s2c)):
        if not data:
            continue
        v = _version(data)
        if v is MORE:
            more = True
        elif v is None:
            if not meta and key == "server_version":
                return NO                 # the server always speaks first with its version
            if key == "client_version":
                continue                   # client may be mis-sided (mid-stream)
        else:
            meta[key] = v
    if meta:
        return claim("vnc", 1.0, **meta)
    return MORE if more else NO


SPEC = DetectorSpec(name="vnc", transports=("tcp",), probe=probe, max_bytes=64,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"R"), s2c=frozenset(b"R")))
