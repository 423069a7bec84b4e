# RTSP probe, compiled.
# Included by _fast.pyx (one extension); rtsp.py exports it.
# Uses _wire_http.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


def rtsp_probe(view, state):
    """rtsp.probe: an RTSP/x.y start line in either direction."""
    cdef dict meta = {}
    cdef int hits = 0
    cdef bint more = False
    _httpp_init()
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        m = http_cached_parse(state, data)
        if m == HTTP_MORE:
            more = True
            continue
        if m is None or m.proto != "RTSP":
            # Interleaved RTP ('$' framing) follows the handshake but never starts it.
            continue
        hits += 1
        if m.kind == "request":
            meta["method"] = m.method
            meta["uri"] = m.target[:256]
            meta["user_agent"] = m.headers.get("user-agent")
        else:
            meta["status"] = m.status
            meta["server"] = m.headers.get("server")
    if hits:
        return _claim("rtsp", 1.0, _no_none(meta))
    return _MORE if more else _NO
