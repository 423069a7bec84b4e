"""Start-line and header parser shared by the HTTP-syntax protocols (http,
http-proxy, rtsp, sip, ssdp).  One parser: each probe only checks which version token
and methods it accepts.
"""
from __future__ import annotations

from . import _fast

MORE_NEEDED = _fast.HTTP_MORE     # "more"


# Message(kind, method, target, proto, version, status, headers): a parsed start line
# ("request": method, target; "response": status) and its wanted headers.  Compiled
# (_wire_http.pxi) so the parser builds one cheaply.
Message = _fast.HttpMessage


# parse(data, max_line=8192) -> Message, None (not an HTTP-syntax start line) or
# MORE_NEEDED.  The start line is a request line, METHOD SP target SP PROTO/d.d
# (METHOD [A-Z][A-Z_-]{1,19}, target 1-8000 bytes of words joined by spaces, PROTO
# [A-Z]{3,5}; runs of SP/HTAB between the parts and after the version, RFC 9112 3), an
# HTTP/0.9 "GET /path" (proto HTTP, version 0.9), or a status line, PROTO/d.d SP ddd
# [SP reason]; without a line end yet, MORE_NEEDED while
# the bytes still look like the start of one (upper-case token, text).  Headers: the
# complete lines up to the blank line; only the WANTED names are decoded, first
# occurrence kept, values stripped and cut to 256 characters.  Compiled: _wire_http.pxi.
parse = _fast.http_parse


# Header names read by http, http-proxy, rtsp, sip (with compact forms) and ssdp.
WANTED = frozenset(b"host user-agent server st nt usn location from f to t call-id i "
                   b"upgrade soapaction".split())


# cached_parse(state, data): parse() memoised in the flow's shared state -- the five
# HTTP-syntax detectors read the same bytes, so they share one parse.
cached_parse = _fast.http_cached_parse


def udp_messages(view):
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if dg:
            yield dg
