"""RTSP (RFC 2326 / 7826): HTTP-like start lines with the ``RTSP/1.0`` or ``RTSP/2.0``
version token.  Metadata: method, uri, status, user_agent.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from ._httpmsg import MORE_NEEDED, cached_parse


def probe(view, state):
    meta, hits, more = {}, 0, False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        m = cached_parse(state, data)
        if m == MORE_NEEDED:
            more = True
            continue
        if m is None or m.proto != "RTSP":
            # Interleaved RTP ('$' framing) follows the handshake but never starts it.
            continue
        hits += 1
        if m.kind == "request":
            meta.update(method=m.method, uri=m.target[:256], user_agent=m.headers.get("user-agent"))
        else:
            meta.update(status=m.status, server=m.headers.get("server"))
    if hits:
        return match("rtsp", 1.0, **meta)
    return MORE if more else NO


SPEC = DetectorSpec(name="rtsp", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"ADGOPRST"),
                                                       s2c=frozenset(b"R")))
