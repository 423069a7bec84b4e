# HTTP probe, compiled: http_probe and its mid-stream resync (http_probe_resync).
# Included by _fast.pyx (one extension); http.py exports it.
# Uses _wire_http.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


def http_probe(view, state):
    """http.probe: an HTTP/0.9-1.1 request line with a registered method, or a status
    line, in either direction (parsed once per flow: http_cached_parse)."""
    cdef dict meta = {}
    cdef int nmatch = 0, nmore = 0
    cdef bint proxied = False, simple = False
    _httpp_init()
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        m = http_cached_parse(state, data)
        if m == HTTP_MORE:
            nmore += 1
            continue
        if m is None or m.proto != "HTTP" or m.version not in ("1.0", "1.1", "0.9"):
            # RTSP/SIP share the syntax but not the version token; HTTP/2.0 here is
            # the h2c preface, owned by the http2 detector.
            continue
        if m.kind == "request":
            method = m.method
            if method not in _http_methods:
                continue                   # unknown verb: likely a look-alike protocol
            target = m.target
            if method == "CONNECT" or "://" in target[:10]:
                # Proxy requests are http-proxy's: lower confidence so it wins the
                # conflict and plain http is recorded as the loser.
                proxied = True
            h = m.headers
            meta["method"] = method
            meta["uri"] = target[:256]
            meta["host"] = h.get("host")
            meta["user_agent"] = h.get("user-agent")
            # What the request carries, for the applications nDPI names inside HTTP:
            # a WebSocket (RFC 6455 4.1) or other upgrade, a SOAP 1.1 call.
            meta["upgrade"] = h.get("upgrade")
            meta["soap_action"] = h.get("soapaction")
            simple = m.version == "0.9"
        else:
            meta["status"] = m.status
            meta["server"] = m.headers.get("server")
        nmatch += 1
    if nmatch:
        # A request line with a registered method and an HTTP/1.x version is certain;
        # a status line alone (capture started late) a little less.
        conf = 1.0 if nmatch == 2 or ("method" in meta and not simple) else 0.9
        return _claim("http", 0.85 if proxied else conf, _no_none(meta))
    if nmore:
        return _MORE
    return _NO


# ---------------------------------------------------------------- HTTP mid-stream resync
# A direction that starts mid-stream (FlowView.midstream) begins wherever a segment
# began: inside a body, a header block or a chunk.  http_resync_at finds the first line
# start that opens an HTTP/1.x message; http_probe_resync probes the bytes from there.

cdef Py_ssize_t http_resync_at(bytes b):
    """The first offset > 0 right after a newline where an HTTP/1.0 or 1.1 message
    starts: a status line ("HTTP/1.x DDD" then space or line end) or a request line (a
    registered method, a space, a target without spaces, " HTTP/1.x" and the line end);
    -1 when there is none.  Offset 0 is http_probe's own case."""
    cdef Py_ssize_t n = len(b), i = 0, e, sp
    cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(b)
    _httpp_init()
    while True:
        i = b.find(b"\n", i)
        if i < 0 or i + 1 >= n:
            return -1
        i += 1
        if n - i >= 13 and d[i] == 72 and b.startswith(b"HTTP/1.", i) and (d[i + 7] == 48 or d[i + 7] == 49) \
                and d[i + 8] == 32 and 49 <= d[i + 9] <= 53 and 48 <= d[i + 10] <= 57 \
                and 48 <= d[i + 11] <= 57 and (d[i + 12] == 32 or d[i + 12] == 13 or d[i + 12] == 10):
            return i
        if 65 <= d[i] <= 90:                    # methods are upper-case tokens
            sp = b.find(b" ", i, i + 24)
            if sp < 0:
                continue
            try:
                method = b[i:sp].decode("ascii")
            except UnicodeDecodeError:
                continue
            if method not in _http_methods:
                continue
            e = b.find(b"\n", sp)
            if e < 0:
                continue
            line = b[sp + 1:e].rstrip(b"\r")
            if (line.endswith(b" HTTP/1.1") or line.endswith(b" HTTP/1.0")) and line.count(b" ") == 1 \
                    and len(line) > 9:
                return i


def http_probe_resync(view, state):
    """http.probe for every flow; on a view with a mid-stream direction that http_probe
    does not match, the bytes of each mid-stream direction from its first message start
    (http_resync_at; nothing when there is none) are probed again.  A match there is
    HTTP joined mid-stream at 0.7, below any match from the start; none yet is
    NEED_MORE.  A direction seen from its beginning must itself be HTTP or empty: its
    first bytes decide it."""
    cdef ProbeResult r
    _outcomes()
    r = http_probe(view, state)
    cdef int ms = view.midstream
    cdef Py_ssize_t k
    cdef bytes b
    cdef list parts
    cdef dict meta
    if not ms or r.outcome == _MATCH:
        return r
    parts = []
    for bit, data in ((1, view.payload_c2s), (2, view.payload_s2c)):
        if not data:
            parts.append(data)
            continue
        if not (ms & bit):
            return r                            # a direction seen from its start is not HTTP
        b = data if type(data) is bytes else bytes(data)
        k = http_resync_at(b)
        parts.append(b[k:] if k > 0 else b"")
    if not parts[0] and not parts[1]:
        return _MORE                            # no message start yet: later bytes may hold one
    r2 = http_probe(FlowView("tcp", parts[0], parts[1]), state)
    if r2 is _MORE:
        return r2                               # a message start whose line is not all here yet
    if r2.outcome != _MATCH:
        return r
    meta = dict(r2.metadata)
    meta["midstream"] = True
    return _claim("http", min(0.7, r2.confidence), meta)
