# TLS record layer and Client/ServerHello, compiled: _hello.py re-exports
# ``hello_parse`` as parse_hello (tls, dtls, quic), tls.py uses ``tls_parse_direction``.
# tests/detectors/reference_parsers.py keeps the pure-Python originals as test oracles.

TLS_MORE = "more"                    # tls_sslv2_hello: a valid prefix so far
cdef object _tls_versions = None     # _hello.TLS_VERSIONS, imported on first use

cdef enum:
    TLS_MAX_RECORD = 16384 + 2048    # TLSCiphertext limit (RFC 5246 6.2.3)


cdef inline unsigned int _u16(const uint8_t* p) noexcept:
    return (p[0] << 8) | p[1]


cdef inline unsigned int _u24(const uint8_t* p) noexcept:
    return (p[0] << 16) | (p[1] << 8) | p[2]


cdef inline unsigned int _u16_cut(const uint8_t* p, Py_ssize_t avail) noexcept:
    """int.from_bytes(b[i:i + 2], "big") when only ``avail`` bytes are left at i."""
    if avail >= 2:
        return (p[0] << 8) | p[1]
    if avail == 1:
        return p[0]
    return 0


cdef object _tls_version_name(unsigned int v):
    global _tls_versions
    if _tls_versions is None:
        from . import _hello
        _tls_versions = _hello.TLS_VERSIONS
    name = _tls_versions.get(v)
    if name is None:
        return f"0x{v:04x}"
    return name


cdef inline bint _tls_grease(unsigned int v) noexcept:
    # RFC 8701 GREASE values (0x0a0a, 0x1a1a, ...) must be ignored in version lists.
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


cdef inline bint _tls_plausible_version(const uint8_t* b, Py_ssize_t n) noexcept:
    if n < 2:
        return True
    # 0x0100 is OpenSSL's pre-RFC DTLS ("DTLS1_BAD_VER"), still seen in the wild.
    return (b[0] == 3 and b[1] <= 4) or (b[0] == 0xFE and b[1] >= 0xFC) \
        or (b[0] == 1 and b[1] == 0)


cdef object _latin1(const uint8_t* p, Py_ssize_t n):
    return PyUnicode_DecodeLatin1(<const char*>p, n, NULL)


cdef int _tls_extensions(const uint8_t* data, Py_ssize_t dlen, Py_ssize_t pos, Py_ssize_t end,
                         int hello, dict meta) except -1:
    """Read SNI (0), ALPN (16) and supported_versions (43) into meta."""
    cdef unsigned int etype, elen, nlen, v
    cdef Py_ssize_t start, blen, i, n
    cdef const uint8_t* body
    cdef list protos, vs
    while pos + 4 <= end:
        etype = _u16(data + pos)
        elen = _u16(data + pos + 2)
        start = pos + 4
        pos = start + elen
        if pos > dlen:
            break                               # truncated extension: stop quietly
        body = data + start
        blen = elen
        if etype == 0:
            if hello == 1 and blen >= 5:
                # server_name_list(2) name_type(1) host_name<2>
                nlen = _u16(body + 3)
                if body[2] == 0 and 0 < nlen <= blen - 5:
                    meta["sni"] = _latin1(body + 5, nlen)
        elif etype == 16:
            if blen >= 2:
                protos = []
                i = 2
                while i < blen:
                    n = body[i]
                    # body[i + 1:i + 1 + n]: cut at the end of the extension
                    protos.append(_latin1(body + i + 1, min(n, blen - i - 1)))
                    i += 1 + n
                meta["alpn"] = protos
        elif etype == 43:
            if hello == 1 and blen:
                vs = []
                for i in range(1, body[0], 2):
                    v = _u16_cut(body + i, blen - i) if i < blen else 0
                    if not _tls_grease(v):
                        vs.append(_tls_version_name(v))
                if vs:
                    meta["supported_versions"] = vs
            elif hello == 2 and blen == 2:
                meta["version"] = _tls_version_name(_u16(body))
    return 0


cdef object _tls_hello(int msg_type, const uint8_t* body, Py_ssize_t n, bint dtls):
    """Parse a ClientHello (1) or ServerHello (2) body (after the 4-byte handshake
    header).  Returns metadata, or None when the fixed part is malformed."""
    cdef Py_ssize_t pos, sid, cs, elen, end
    cdef dict meta
    if n < 2 + 32 + 1:
        return {} if n < 2 or _tls_plausible_version(body, n) else None
    if not _tls_plausible_version(body, n):
        return None                            # legacy_version must be SSLv3..TLS1.2 / DTLS
    meta = {"hello": "client" if msg_type == 1 else "server",
            "version": _tls_version_name(_u16(body))}
    pos = 34
    sid = body[pos]
    if sid > 32:
        return None                            # session id is at most 32 bytes (RFC 8446)
    pos += 1 + sid
    if dtls and msg_type == 1:
        if pos >= n:
            return meta
        pos += 1 + body[pos]                   # DTLS cookie
    if msg_type == 1:
        if pos + 2 > n:
            return meta
        cs = _u16_cut(body + pos, n - pos)
        if cs % 2 or cs == 0:
            return None                        # cipher_suites is a non-empty list of u16
        pos += 2 + cs
        if pos >= n:
            return meta
        pos += 1 + body[pos]                   # compression methods
    else:
        pos += 3                               # cipher suite + compression method
    if pos + 2 <= n:
        elen = _u16(body + pos)
        end = pos + 2 + elen
        if end > n:
            end = n
        _tls_extensions(body, n, pos + 2, end, msg_type, meta)
    if msg_type == 1 and "supported_versions" in meta:
        meta["version"] = meta["supported_versions"][0]
    return meta


def hello_parse(msg_type, body, dtls=False):
    """_hello.parse_hello: metadata of a Client/ServerHello body, or None."""
    cdef bytes b = body if type(body) is bytes else bytes(body)
    return _tls_hello(msg_type, <const uint8_t*>PyBytes_AS_STRING(b), len(b), dtls)


cdef inline bint _tls_type(uint8_t t) noexcept:
    # Record content types: change_cipher_spec, alert, handshake, application_data.
    return 0x14 <= t <= 0x17


def tls_parse_direction(data):
    """(verdict, meta) for one direction of a TCP flow: 'match', 'more', 'no', 'chain'
    (record headers chaining through the bytes, mid-stream) or 'weak' (one valid
    non-handshake record)."""
    cdef bytes b = data if type(data) is bytes else bytes(data)
    cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = len(b), pos, cnt, ln, hlen, rlen, need
    cdef const uint8_t* hs
    cdef Py_ssize_t hsn
    cdef bytearray out
    cdef bytes joined
    # _record_ok: a valid record header, too short to say, or not TLS.
    if n == 0:
        raise IndexError("index out of range")
    if not _tls_type(d[0]):
        return "no", None
    if n < 5:
        if n < 2 or (d[1] == 3 and (n < 3 or d[2] <= 4)):
            return "more", None
        return "no", None
    if d[1] != 3 or d[2] > 4:
        return "no", None
    rlen = _u16(d + 3)
    # A zero-length record is illegal except for application data; an oversized one
    # means the bytes only happen to start like a record.
    if not 0 < rlen <= TLS_MAX_RECORD:
        return "no", None
    if d[0] != 0x16:
        # Mid-stream: alert/CCS/application-data records.  When several record headers
        # chain exactly through the bytes, that is TLS; one header alone is weak.
        pos = cnt = 0
        while pos + 5 <= n:
            if not _tls_type(d[pos]) or d[pos + 1] != 3 or d[pos + 2] > 4:
                return "weak", None
            ln = _u16(d + pos + 3)
            if ln == 0 or ln > TLS_MAX_RECORD:
                return "weak", None
            cnt += 1
            pos += 5 + ln
        return ("chain" if cnt >= 2 or (cnt == 1 and pos == n) else "weak"), None
    # The handshake bytes: the leading handshake records' payloads (a hello may span
    # several records), up to the end of the first handshake message.
    if n >= 9 and 4 + <Py_ssize_t>_u24(d + 6) <= rlen:
        hs = d + 5                             # the common case: one record holds it
        hsn = min(rlen, n - 5)
    else:
        out = bytearray()
        pos = 0
        need = -1
        for cnt in range(4):
            if pos + 5 > n or d[pos] != 0x16:
                break
            ln = _u16(d + pos + 3)
            out += b[pos + 5:pos + 5 + ln]
            pos += 5 + ln
            if need < 0 and len(out) >= 4:
                need = 4 + ((out[1] << 16) | (out[2] << 8) | out[3])
            if need >= 0 and len(out) >= need:
                break
        joined = bytes(out)
        hs = <const uint8_t*>PyBytes_AS_STRING(joined)
        hsn = len(joined)
    if hsn < 1:
        return "more", None
    if hs[0] != 1 and hs[0] != 2:
        # Other handshake messages (Certificate, encrypted Finished...) appear mid-stream.
        return "weak", None
    if hsn < 6:
        return "more", None
    hlen = _u24(hs + 1)
    if hlen < 38 or hlen > 1 << 17:
        return "no", None                      # a hello has at least version+random+sid
    meta = _tls_hello(hs[0], hs + 4, min(hlen, hsn - 4), False)
    if meta is None:
        # Inner fields malformed (e.g. an odd cipher_suites length) while the record
        # and handshake lengths agree: TLS from a broken or fuzzing client.
        if rlen >= 4 + hlen:
            if hsn < 4 + hlen:
                return "more", None            # judge the message once it is all here
            return "match", {"malformed": True, "_complete": False}
        return "no", None
    # A hello parsed to its announced end is as certain as two directions agreeing.
    meta["_complete"] = hsn >= 4 + hlen
    return "match", meta


def tls_sslv2_hello(data):
    """An SSLv2-format ClientHello (RFC 6101 E, RFC 5246 E.2: what clients that still
    speak SSLv2, and scanners, send first): the offered version's name, None (not one)
    or TLS_MORE (a valid prefix).  Two-byte header with the high bit set and the
    message length; msg_type 1; version 0x0002 or 3.x; cipher-spec length a non-zero
    multiple of 3, session-id length 0 or 16, challenge length 16-32; the three
    lengths add up to the header's."""
    cdef bytes b = data if type(data) is bytes else bytes(data)
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = len(b), ln, cs, sid, ch
    cdef unsigned int ver
    if n == 0 or not p[0] & 0x80:
        return None
    if n < 11:
        # The fixed part: type 1, then version 0x0002 or 0x03xx.
        if (n > 2 and p[2] != 1) or (n > 3 and p[3] not in (0, 3)) \
                or (n > 4 and (p[4] > 4 if p[3] == 3 else p[4] != 2)):
            return None
        return TLS_MORE
    ln = ((p[0] & 0x7F) << 8) | p[1]
    ver = (p[3] << 8) | p[4]
    if p[2] != 1 or not (ver == 0x0002 or (p[3] == 3 and p[4] <= 4)):
        return None
    cs = (p[5] << 8) | p[6]
    sid = (p[7] << 8) | p[8]
    ch = (p[9] << 8) | p[10]
    if cs == 0 or cs % 3 or (sid != 0 and sid != 16) or not 16 <= ch <= 32:
        return None
    if ln != 9 + cs + sid + ch:
        return None
    if n < 2 + ln:
        return TLS_MORE
    return _tls_version_name(ver)


def tls_probe(view, state):
    """tls.probe: both directions parsed; a hello in either makes the match (certain
    when both directions agree or a hello parsed to its end), record headers chaining
    through the bytes a weaker mid-stream match."""
    cdef dict meta
    _verdicts()
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
            return _match("tls", 0.8, out)
        complete = (c_m and c_m.get("_complete")) or (s_m and s_m.get("_complete"))
        # Fingerprints (_fast_fp.pxi) of each hello that is all there: ja4 and ja3 of
        # the client's, then ja3s of the server's.  Metadata only: the verdict above
        # never depends on them.
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
        return _match("tls", 1.0 if (c_v == "match" and s_v == "match") or complete else 0.95, meta)
    if (c_v == "chain" or s_v == "chain") and c_v != "more" and s_v != "more":
        return _match("tls", 0.75, {"midstream": True})
    if c_v == "more" or s_v == "more":
        return _MORE
    if (c_v == "weak" or c_v == "chain") and (s_v == "weak" or s_v == "chain"):
        return _match("tls", 0.6, {"midstream": True})
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
    cdef Result r
    cdef int ms = view.midstream
    cdef Py_ssize_t k
    cdef bytes b
    cdef bint found = False, pending = False
    _verdicts()
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
    if r.verdict == _MATCH:
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
        return _match("tls", 0.7, {"midstream": True})
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
    return _match("tls", conf, meta)
