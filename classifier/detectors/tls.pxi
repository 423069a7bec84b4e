# TLS probe, compiled: tls_probe, its mid-stream resync (tls_probe_resync) and the
# SSLv2-hello case.
# Included by _fast.pyx (one extension); tls.py exports it.
# Uses _wire_tls.pxi and _wire_tls_fingerprints.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


def tls_probe(view, state):
    """tls.probe: both directions parsed; a hello in either makes the match (certain
    when both directions agree or a hello parsed to its end), record headers chaining
    through the bytes a weaker mid-stream match."""
    cdef dict meta
    _outcomes()
    c = view.payload_c2s
    s = view.payload_s2c
    if c and c[0] & 0x80:
        return _tls_sslv2_probe(c, s)
    c_v, c_m = tls_parse_direction(c) if c else ("none", None)
    s_v, s_m = tls_parse_direction(s) if s else ("none", None)
    if c_v == "no" or s_v == "no":
        return _NO
    if c_v == "match" or s_v == "match":
        meta = {}
        for m in (c_m, s_m):
            if m and m.get("hello") == "client":
                meta["client_version"] = m.get("version")
                for k in ("sni", "alpn", "supported_versions"):
                    if k in m:
                        meta[k] = m[k]
                meta["version"] = m.get("version")
        for m in (c_m, s_m):
            if m and m.get("hello") == "server":
                meta["version"] = m.get("version")
                if "alpn" in m:
                    meta["alpn_selected"] = m["alpn"][0] if m["alpn"] else None
        meta = {k: v for k, v in meta.items() if v is not None}
        if (c_m and c_m.get("malformed")) or (s_m and s_m.get("malformed")):
            out = {"malformed": True}
            out.update(meta)
            return _claim("tls", 0.8, out)
        complete = (c_m and c_m.get("_complete")) or (s_m and s_m.get("_complete"))
        # Fingerprints (_wire_tls_fingerprints.pxi) of each hello that is all there:
        # ja4 and ja3 of the client's, then ja3s of the server's.  Metadata only: the
        # outcome above never depends on them.
        fc = _tls_stream_fp(c) if c_m is not None and c_m.get("_complete") else None
        fs = _tls_stream_fp(s) if s_m is not None and s_m.get("_complete") else None
        # The client's hello first (ja4, ja3), then the server's (ja3s), whichever
        # direction carried them (captures may start with the sides swapped).
        if fc and "ja3" in fc:
            meta.update(fc)
        if fs and "ja3" in fs:
            meta.update(fs)
        if fc and "ja3s" in fc:
            meta.update(fc)
        if fs and "ja3s" in fs:
            meta.update(fs)
        return _claim("tls", 1.0 if (c_v == "match" and s_v == "match") or complete else 0.95, meta)
    if (c_v == "chain" or s_v == "chain") and c_v != "more" and s_v != "more":
        return _claim("tls", 0.75, {"midstream": True})
    if c_v == "more" or s_v == "more":
        return _MORE
    if (c_v == "weak" or c_v == "chain") and (s_v == "weak" or s_v == "chain"):
        return _claim("tls", 0.6, {"midstream": True})
    return _MORE                                # one weak direction: wait for the other


# ---------------------------------------------------------------- mid-stream resync
# A direction that starts mid-stream (FlowView.midstream: joined without a SYN, or
# resynced by the fast path after its first segments were lost for good) begins at a
# segment boundary, not at a record boundary: the record in flight when the capture
# (re)started runs on for up to 16 KiB.  tls_resync_at finds the first offset from
# which record headers chain; tls_probe_resync probes the bytes from there.

cdef inline bint _tls_hello_at(const uint8_t* d, Py_ssize_t n, Py_ssize_t pos) noexcept:
    """A handshake record at pos whose message is a ClientHello or ServerHello."""
    return pos + 6 <= n and d[pos] == 0x16 and (d[pos + 5] == 1 or d[pos + 5] == 2)


cdef Py_ssize_t tls_resync_at(const uint8_t* d, Py_ssize_t n) noexcept:
    """The first offset k at which at least two TLS record headers chain through the
    bytes (content type 20-23, one and the same version 3.0-3.4, 0 < length <= 2^14 +
    2048, each header where the previous record ends, the last one running to or past
    the end), or -1.  Two headers at exact distances in the same version: about 1e-13
    per offset in random bytes, so encrypted or compressed payload does not pass.
    -2 when that chain holds a Client/ServerHello: TLS starts there, after bytes of
    another protocol (STARTTLS, a proxy's CONNECT, RDP, PostgreSQL's SSLRequest), so
    the flow is that protocol's, not tls."""
    cdef Py_ssize_t k, pos, ln, cnt
    cdef bint hello
    for k in range(0, n - 9):
        if not _tls_type(d[k]) or d[k + 1] != 3 or d[k + 2] > 4:
            continue
        pos = k
        cnt = 0
        hello = False
        while pos + 5 <= n:
            if not _tls_type(d[pos]) or d[pos + 1] != d[k + 1] or d[pos + 2] != d[k + 2]:
                cnt = 0
                break
            ln = (<Py_ssize_t>d[pos + 3] << 8) | d[pos + 4]
            if ln == 0 or ln > TLS_MAX_RECORD:
                cnt = 0
                break
            hello = hello or _tls_hello_at(d, n, pos)
            cnt += 1
            pos += 5 + ln
        if cnt >= 2:
            return -2 if hello else k
    return -1


def tls_probe_resync(view, state):
    """tls.probe for every flow; on a view with a mid-stream direction that tls_probe
    does not match, each mid-stream direction is searched for a record-header chain
    (tls_resync_at): one found is mid-stream TLS at 0.7, below any match from the start,
    unless a direction seen from its beginning is not TLS.  None found yet: NEED_MORE
    (later bytes may hold one).  A hello after lost or foreign bytes (at the start of a
    resynced direction, or inside the chain found) is an upgrade from another protocol:
    no match then."""
    cdef ProbeResult r
    cdef int ms = view.midstream
    cdef Py_ssize_t k
    cdef bytes b
    cdef bint found = False, pending = False
    _outcomes()
    r = tls_probe(view, state)
    if not ms:
        return r
    if ms & 12:
        # A resynced direction (bytes before it known lost) that starts with a hello:
        # TLS began after other bytes, an upgrade from another protocol.
        for bit, data in ((4, view.payload_c2s), (8, view.payload_s2c)):
            if (ms & bit) and data:
                b = data if type(data) is bytes else bytes(data)
                if _tls_hello_at(<const uint8_t*>PyBytes_AS_STRING(b), len(b), 0):
                    return _NO
    if r.outcome == _MATCH:
        return r
    for bit, data in ((1, view.payload_c2s), (2, view.payload_s2c)):
        if not data:
            continue
        if not (ms & bit):
            if tls_parse_direction(data)[0] == "no":
                return r                        # seen from its start and not TLS
            continue
        b = data if type(data) is bytes else bytes(data)
        k = tls_resync_at(<const uint8_t*>PyBytes_AS_STRING(b), len(b))
        if k == -2:
            return r                            # a handshake starts mid-flow: not tls's
        if k >= 0:
            found = True
        else:
            pending = True
    if found:
        return _claim("tls", 0.7, {"midstream": True})
    if pending:
        return _MORE
    return r
cdef object _tls_sslv2_probe(c, s):
    """tls.probe for a client that opened with an SSLv2-format ClientHello: the server
    answers with a TLS record (ServerHello or alert) or an SSLv2 SERVER-HELLO (type 4),
    or not yet.  0.9 on the hello alone, 1.0 with a TLS ServerHello after it."""
    v = tls_sslv2_hello(c)
    if v is None:
        return _NO
    if v is TLS_MORE:
        return _MORE
    meta = {"client_version": v, "version": v, "sslv2_hello": True}
    conf = 0.9
    if s:
        if s[0] & 0x80:
            if len(s) > 2 and s[2] != 4:
                return _NO               # SSLv2 answers a CLIENT-HELLO with SERVER-HELLO
        else:
            s_v, s_m = tls_parse_direction(s)
            if s_v == "no":
                return _NO
            if s_m and s_m.get("hello") == "server" and s_m.get("version") is not None:
                meta["version"] = s_m.get("version")
                conf = 1.0
    return _claim("tls", conf, meta)
