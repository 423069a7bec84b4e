"""HTTP proxy requests: ``CONNECT host:port HTTP/1.x`` (RFC 9110 9.3.6) or a request
in absolute-form (``GET http://host/ HTTP/1.1``), which only a proxy receives.
Metadata: method, target host.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter


# probe(view, state): the first direction's message must be an HTTP request; CONNECT
# or an absolute-form target (http://, ftp://) is a proxy's (0.95).  Metadata: method,
# host (the target), user_agent.  Compiled: http_proxy.pxi.
probe = _fast.http_proxy_probe


SPEC = DetectorSpec(name="http-proxy", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"CDGHOPT")), max_confidence=0.95)
