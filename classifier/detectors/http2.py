"""HTTP/2 cleartext (RFC 9113 3.4): the client connection preface
``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n`` followed by a SETTINGS frame; the server's first
frame is SETTINGS (type 4, stream 0).  HTTP/2 inside TLS is labelled tls (ALPN h2).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _settings_frame(data: bytes):
    """True / False / None (too short) for 'starts with a SETTINGS frame'."""
    if len(data) < 9:
        return None
    n = int.from_bytes(data[0:3], "big")
    # SETTINGS: type 4, payload a multiple of 6 bytes, stream id 0.
    return data[3] == 4 and n % 6 == 0 and data[5:9] == b"\x00\x00\x00\x00"


def probe(view, state):
    c = view.payload_c2s
    if c:
        if len(c) < len(PREFACE):
            return MORE if PREFACE.startswith(c) else NO
        if not c.startswith(PREFACE):
            return NO
        return claim("http2", 1.0, preface=True)
    s = view.payload_s2c
    ok = _settings_frame(s)
    if ok is None:
        return MORE
    # A server SETTINGS frame alone is 9 bytes of weak evidence: wait for the client.
    return MORE if ok else NO


SPEC = DetectorSpec(name="http2", transports=("tcp",), probe=probe, max_bytes=256,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"P")))
