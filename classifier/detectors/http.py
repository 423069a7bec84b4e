"""HTTP/1.x (RFC 9112) over TCP: a request line ``METHOD target HTTP/1.x`` or a status
line ``HTTP/1.x NNN``.  Metadata: method, host, user_agent, uri, status, server.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from ._httpmsg import MORE_NEEDED, cached_parse

METHODS = frozenset("GET POST HEAD PUT DELETE OPTIONS PATCH TRACE CONNECT PROPFIND "
                    "PROPPATCH MKCOL COPY MOVE LOCK UNLOCK REPORT SEARCH MKCALENDAR "
                    "SUBSCRIBE UNSUBSCRIBE NOTIFY PURGE".split())


def probe(view, state):
    meta = {}
    verdicts = []
    proxied = False
    for d, data in ((0, view.payload_c2s), (1, view.payload_s2c)):
        if not data:
            continue
        m = cached_parse(state, data)
        if m == MORE_NEEDED:
            verdicts.append("more")
            continue
        if m is None or m.proto != "HTTP" or m.version not in ("1.0", "1.1", "0.9"):
            # RTSP/SIP share the syntax but not the version token; HTTP/2.0 here is
            # the h2c preface, owned by the http2 detector.
            verdicts.append("no")
            continue
        if m.kind == "request":
            if m.method not in METHODS:
                verdicts.append("no")     # unknown verb: likely a look-alike protocol
                continue
            if m.method == "CONNECT" or "://" in m.target[:10]:
                # Proxy requests are http-proxy's: lower confidence so it wins the
                # conflict and plain http is recorded as the loser.
                proxied = True
            meta.update(method=m.method, uri=m.target[:256], host=m.headers.get("host"),
                        user_agent=m.headers.get("user-agent"))
        else:
            meta.update(status=m.status, server=m.headers.get("server"))
        verdicts.append("match")
    if "match" in verdicts:
        # A valid HTTP message in one direction and garbage in the other is still HTTP
        # when the garbage is the body of an Upgrade/CONNECT; keep the match.
        # A request line with a registered method and an HTTP/1.x version is certain;
        # a status line alone (capture started late) a little less.
        conf = 1.0 if verdicts.count("match") == 2 or "method" in meta else 0.9
        return match("http", 0.85 if proxied else conf, **meta)
    if "more" in verdicts:
        return MORE
    return NO


_FIRST = frozenset(ord(m[0]) for m in METHODS) | {ord("H")}
SPEC = DetectorSpec(name="http", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=_FIRST,
                                                       s2c=frozenset({ord("H")})))
