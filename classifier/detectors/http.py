"""HTTP/1.x (RFC 9112) over TCP: a request line ``METHOD target HTTP/1.x`` (read on
whitespace boundaries, RFC 9112 3: runs of blanks, LF-only line ends, spaces inside the
target), a version-less HTTP/0.9 ``GET /path`` (RFC 1945 4.1), or a status line
``HTTP/1.x NNN``.  Metadata: method, host, user_agent, uri, upgrade, soap_action,
status, server.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter

METHODS = frozenset("GET POST HEAD PUT DELETE OPTIONS PATCH TRACE CONNECT PROPFIND "
                    "PROPPATCH MKCOL COPY MOVE LOCK UNLOCK REPORT SEARCH MKCALENDAR "
                    "SUBSCRIBE UNSUBSCRIBE NOTIFY PURGE".split())


# probe(view, state): each direction parsed once per flow (_httpmsg.cached_parse); a
# request line with a METHODS verb or a status line, version HTTP/0.9-1.1, in either
# direction.  1.0 with a request line or both directions, 0.9 a status line or an
# HTTP/0.9 request alone, 0.85 a proxy request (CONNECT or absolute-form: http-proxy
# wins).  Metadata: method, uri, host, user_agent, upgrade (RFC 9110 7.8; "websocket"
# for RFC 6455), soap_action (SOAP 1.1's SOAPAction), status, server.  Compiled:
# http.pxi.
probe = _fast.http_probe_resync

# The same on a view with a mid-stream direction (FlowView.midstream) that http_probe
# does not match, every direction seen from its start being empty: from the first
# line start that opens an HTTP/1.x request or status line, probed again; a match
# there is HTTP joined mid-stream at 0.7.  Compiled: http.pxi
# (http_probe_resync).


_FIRST = frozenset(ord(m[0]) for m in METHODS) | {ord("H")}
SPEC = DetectorSpec(name="http", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=_FIRST,
                                                       s2c=frozenset({ord("H")})),
                    resync=True)
