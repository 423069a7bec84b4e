# HTTP proxy probe, compiled.
# Included by _fast.pyx (one extension); http_proxy.py exports it.
# Uses _wire_http.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


def http_proxy_probe(view, state):
    """http_proxy.probe: a CONNECT or absolute-form request opens the conversation."""
    _httpp_init()
    data = view.payload_c2s or view.payload_s2c
    m = http_cached_parse(state, data)
    if m == HTTP_MORE:
        return _MORE
    if m is None or m.kind != "request" or m.proto != "HTTP":
        return _NO                        # a proxy conversation starts with an HTTP request
    if m.method == "CONNECT":
        return _claim("http-proxy", 0.95, _no_none({"method": "CONNECT", "host": m.target[:256],
                                                   "user_agent": m.headers.get("user-agent")}))
    if m.target.startswith(("http://", "ftp://")):
        return _claim("http-proxy", 0.95, _no_none({"method": m.method, "host": m.target[:256],
                                                   "user_agent": m.headers.get("user-agent")}))
    # Origin-form requests ("GET /x") go to the origin server: plain http.
    return _NO
