# SIP probe, compiled (sipmsg_probe).
# Included by _fast.pyx (one extension); sip.py exports it.
# Uses _wire_http.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


def sipmsg_probe(view, state):
    """sip.probe: the first message that is not a keep-alive must be SIP/2.0 with a
    registered method (or a status line)."""
    cdef bint more = False, udp
    _httpp_init()
    udp = view.transport == "udp"
    if udp:
        units = list(view.datagrams_c2s) + list(view.datagrams_s2c)
    else:
        units = [view.payload_c2s, view.payload_s2c]
    for data in units:
        if not data:
            continue
        if data == b"\r\n\r\n" or data == b"\r\n" or data == b"\x00\x00\x00\x00" or \
                (udp and len(data) <= 16):
            more = True                  # keep-alives (RFC 5626 4.4.1, vendors' "hello"):
            continue                     # say nothing, wait for a real message
        m = http_cached_parse(state, data)
        if m == HTTP_MORE:
            more = True
            continue
        if m is None or m.proto != "SIP" or m.version != "2.0":
            return _NO                   # SIP/2.0 is the only version in use
        if m.kind == "request" and m.method not in _sip_methods:
            return _NO                   # registered methods only (RFC 3261 and extensions)
        h = m.headers
        return _claim("sip", 1.0, _no_none({
            "method": m.method, "status": m.status,
            "user_agent": h.get("user-agent") or h.get("server"),
            "from_": h.get("from") or h.get("f"), "to": h.get("to") or h.get("t"),
            "call_id": h.get("call-id") or h.get("i")}))
    return _MORE if more else _NO
