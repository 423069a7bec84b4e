# TLS record layer and Client/ServerHello, compiled: the hello parser of tls, dtls and
# quic (_hello.py re-exports ``hello_parse`` as parse_hello), the record walk of one
# TCP direction (tls.py exports ``tls_parse_direction``) and the SSLv2-format
# ClientHello (``tls_sslv2_hello``).  The tls probe is tls.pxi's.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


TLS_MORE = "more"                    # tls_sslv2_hello: a valid prefix so far
cdef object _tls_versions = None     # _hello.TLS_VERSIONS, imported on first use

cdef enum:
    TLS_MAX_RECORD = 16384 + 2048    # TLSCiphertext limit (RFC 5246 6.2.3)


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
    """(outcome, meta) for one direction of a TCP flow: 'match', 'more', 'no', 'chain'
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
