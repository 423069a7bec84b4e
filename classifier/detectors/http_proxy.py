"""HTTP proxy requests: ``CONNECT host:port HTTP/1.x`` (RFC 9110 9.3.6) or a request
in absolute-form (``GET http://host/ HTTP/1.1``), which only a proxy receives.
Metadata: method, target host.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from ._httpmsg import MORE_NEEDED, cached_parse


def probe(view, state):
    data = view.payload_c2s or view.payload_s2c
    m = cached_parse(state, data)
    if m == MORE_NEEDED:
        return MORE
    if m is None or m.kind != "request" or m.proto != "HTTP":
        return NO                         # a proxy conversation starts with an HTTP request
    if m.method == "CONNECT":
        return match("http-proxy", 0.95, method="CONNECT", host=m.target[:256],
                     user_agent=m.headers.get("user-agent"))
    if m.target.startswith(("http://", "ftp://")):
        return match("http-proxy", 0.95, method=m.method, host=m.target[:256],
                     user_agent=m.headers.get("user-agent"))
    # Origin-form requests ("GET /x") go to the origin server: plain http.
    return NO


SPEC = DetectorSpec(name="http-proxy", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"CDGHOPT")), max_confidence=0.95)
