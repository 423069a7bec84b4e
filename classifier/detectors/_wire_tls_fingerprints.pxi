# TLS client/server fingerprints, compiled (read with _wire_tls.pxi's helpers; used by
# tls.pxi and quic.pxi):
#
#   ja3   MD5 of "version,ciphers,extensions,groups,point_formats" (decimal, "-"-joined,
#         GREASE removed) of a ClientHello -- the original Salesforce JA3 specification;
#   ja3s  MD5 of "version,cipher,extensions" of a ServerHello (JA3S);
#   ja4   FoxIO JA4 (BSD 3-Clause): "t13d1516h2_<ciphers>_<extensions+sigalgs>",
#         "t" over TCP, "q" for the ClientHello inside QUIC's Initial packets.
#
# JA4S (the ServerHello counterpart) is deliberately absent: it is published under
# the FoxIO License 1.1, which restricts use in products, unlike JA4's BSD licence.
# test_compiled.py records the answers (tls_fingerprints), test_fingerprints.py checks
# the specifications' published examples and tshark's ja3/ja3s on real captures.


from libc.stdlib cimport qsort

cdef object _md5 = None, _sha256 = None


cdef inline bint _fp_grease(unsigned int v) noexcept:
    # RFC 8701 GREASE: 0x0a0a, 0x1a1a, ... 0xfafa; both fingerprints ignore them.
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


cdef int _cmp_u16(const void* a, const void* b) noexcept nogil:
    return (<const unsigned short*>a)[0] - (<const unsigned short*>b)[0]


cdef inline Py_ssize_t _put_dec(char* out, Py_ssize_t o, unsigned int v) noexcept:
    cdef char tmp[8]
    cdef int k = 0
    if v == 0:
        out[o] = c'0'
        return o + 1
    while v:
        tmp[k] = c'0' + v % 10
        v //= 10
        k += 1
    while k:
        k -= 1
        out[o] = tmp[k]
        o += 1
    return o


cdef char* _HEXD = b"0123456789abcdef"


cdef inline Py_ssize_t _put_hex4(char* out, Py_ssize_t o, unsigned int v) noexcept:
    out[o] = _HEXD[(v >> 12) & 15]
    out[o + 1] = _HEXD[(v >> 8) & 15]
    out[o + 2] = _HEXD[(v >> 4) & 15]
    out[o + 3] = _HEXD[v & 15]
    return o + 4


cdef Py_ssize_t _put_list(char* out, Py_ssize_t o, const unsigned short* v, Py_ssize_t n,
                          bint hexa, char sep) noexcept:
    cdef Py_ssize_t k
    for k in range(n):
        if k:
            out[o] = sep
            o += 1
        o = _put_hex4(out, o, v[k]) if hexa else _put_dec(out, o, v[k])
    return o


# Fingerprint inputs -> fingerprints.  A site's clients are a few TLS stacks, so the
# same inputs (version, ciphers, extensions, groups, point formats, signature
# algorithms, SNI present, first ALPN, highest version) come back flow after flow; a
# hit costs one dict lookup instead of building three texts and hashing them.
cdef dict _fp_memo = {}
cdef enum:
    FP_MEMO_MAX = 8192           # inputs remembered; the memo starts over when full


cdef object _fp_hash(object fn, const char* s, Py_ssize_t n):
    return fn(PyBytes_FromStringAndSize(s, n)).hexdigest()


cdef Py_ssize_t _put_raw(char* out, Py_ssize_t o, const unsigned short* v, Py_ssize_t n) noexcept:
    """A counted list of u16 into the memo key."""
    cdef Py_ssize_t k
    out[o] = n >> 8
    out[o + 1] = n & 0xFF
    o += 2
    for k in range(n):
        out[o] = v[k] >> 8
        out[o + 1] = v[k] & 0xFF
        o += 2
    return o


cdef object _ja4_version(unsigned int v):
    if v == 0x0304:
        return "13"
    if v == 0x0303:
        return "12"
    if v == 0x0302:
        return "11"
    if v == 0x0301:
        return "10"
    if v == 0x0300:
        return "s3"
    if v == 0x0002:
        return "s2"
    if v == 0xFEFF:
        return "d1"
    if v == 0xFEFD:
        return "d2"
    if v == 0xFEFC:
        return "d3"
    return "00"


cdef inline bint _alnum(uint8_t c) noexcept:
    return (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A)


cdef object _tls_fp(const uint8_t* body, Py_ssize_t n, int msg_type, str proto):
    """The fingerprints of one complete Client (1) or ServerHello (2) body: a dict with
    ja4 and ja3 (client) or ja3s (server); {} when a list runs past the body (nothing
    rather than a fingerprint of half a hello)."""
    global _md5, _sha256
    cdef Py_ssize_t pos, k, cnt, m, end, elen, start, o, nc = 0, ne = 0, ng = 0, npf = 0, nsa = 0
    cdef unsigned int v, etype, legacy, best = 0
    cdef bint sni = False, have_sv = False
    cdef const uint8_t* alpn = NULL
    cdef Py_ssize_t alpn_n = -1
    cdef unsigned short* buf
    cdef unsigned short *ciphers
    cdef unsigned short *exts
    cdef unsigned short *groups
    cdef unsigned short *pfs
    cdef unsigned short *sigs
    cdef unsigned short *tmp
    cdef char* txt
    if _md5 is None:
        import hashlib
        _md5, _sha256 = hashlib.md5, hashlib.sha256
    if n < 38:
        return {}
    legacy = _u16(body)
    pos = 34 + 1 + body[34]                       # random, then the session id
    if pos > n:
        return {}
    # Every list holds at most n/2 values; one allocation serves them all.
    m = n // 2 + 2
    buf = <unsigned short*>PyMem_Malloc(sizeof(unsigned short) * 6 * m)
    txt = <char*>PyMem_Malloc(6 * 3 * m + 64)
    if buf == NULL or txt == NULL:
        PyMem_Free(buf)
        PyMem_Free(txt)
        raise MemoryError()
    ciphers, exts, groups, pfs, sigs, tmp = buf, buf + m, buf + 2 * m, buf + 3 * m, buf + 4 * m, buf + 5 * m
    try:
        if msg_type == 1:
            if pos + 2 > n:
                return {}
            cnt = _u16(body + pos)
            pos += 2
            if pos + cnt > n:
                return {}
            for k in range(0, cnt - 1, 2):
                v = _u16(body + pos + k)
                if not _fp_grease(v):
                    ciphers[nc] = v
                    nc += 1
            pos += cnt
            if pos >= n:
                return {}
            pos += 1 + body[pos]                   # compression methods
        else:
            if pos + 3 > n:
                return {}
            ciphers[0] = _u16(body + pos)
            nc = 1
            pos += 3                               # cipher suite + compression method
        if pos + 2 <= n:
            end = pos + 2 + _u16(body + pos)
            if end > n:
                return {}
            pos += 2
            while pos + 4 <= end:
                etype = _u16(body + pos)
                elen = _u16(body + pos + 2)
                start = pos + 4
                pos = start + elen
                if pos > end:
                    return {}
                if _fp_grease(etype):
                    continue
                exts[ne] = etype
                ne += 1
                if etype == 0:
                    sni = True
                elif etype == 10 and elen >= 2:          # supported_groups<2>
                    ng = 0                               # a repeated extension: the last
                    for k in range(start + 2, min(start + 2 + _u16(body + start), pos) - 1, 2):
                        v = _u16(body + k)
                        if not _fp_grease(v):
                            groups[ng] = v
                            ng += 1
                elif etype == 11 and elen >= 1:          # ec_point_formats<1>
                    npf = 0
                    for k in range(start + 1, min(start + 1 + body[start], pos)):
                        pfs[npf] = body[k]
                        npf += 1
                elif etype == 13 and elen >= 2:          # signature_algorithms<2>
                    nsa = 0
                    for k in range(start + 2, min(start + 2 + _u16(body + start), pos) - 1, 2):
                        v = _u16(body + k)
                        if not _fp_grease(v):
                            sigs[nsa] = v
                            nsa += 1
                elif etype == 16 and elen >= 3 and alpn_n < 0:   # ALPN: the first name
                    alpn_n = body[start + 2]
                    alpn = body + start + 3
                    if start + 3 + alpn_n > pos:
                        alpn_n = pos - start - 3
                elif etype == 43 and msg_type == 1 and elen >= 1:   # supported_versions
                    have_sv = True
                    best = 0
                    for k in range(start + 1, min(start + 1 + body[start], pos) - 1, 2):
                        v = _u16(body + k)
                        if not _fp_grease(v) and v > best:
                            best = v
        # The memo key: every input of the fingerprints, as raw bytes.
        txt[0] = msg_type
        txt[1] = ord(proto[0]) if proto else 0
        txt[2] = legacy >> 8
        txt[3] = legacy & 0xFF
        txt[4] = sni
        txt[5] = have_sv
        txt[6] = best >> 8
        txt[7] = best & 0xFF
        o = _put_raw(txt, 8, ciphers, nc)
        o = _put_raw(txt, o, exts, ne)
        o = _put_raw(txt, o, groups, ng)
        o = _put_raw(txt, o, pfs, npf)
        o = _put_raw(txt, o, sigs, nsa)
        k = alpn_n + 1 if alpn_n >= 0 else 0          # 0: no ALPN; else 1 + its length
        txt[o] = k >> 8
        txt[o + 1] = k & 0xFF
        o += 2
        if alpn_n > 0:
            memcpy(txt + o, alpn, alpn_n)
            o += alpn_n
        key = PyBytes_FromStringAndSize(txt, o)
        hit = _fp_memo.get(key)
        if hit is not None:
            return hit                          # shared: callers copy, never change it
        out = _tls_fp_texts(ciphers, nc, exts, ne, groups, ng, pfs, npf, sigs, nsa, tmp, txt,
                            legacy, msg_type, sni, have_sv, best, alpn, alpn_n, proto)
        if len(_fp_memo) >= FP_MEMO_MAX:
            _fp_memo.clear()
        _fp_memo[key] = out
        return out
    finally:
        PyMem_Free(buf)
        PyMem_Free(txt)


cdef dict _tls_fp_texts(unsigned short* ciphers, Py_ssize_t nc, unsigned short* exts, Py_ssize_t ne,
                        unsigned short* groups, Py_ssize_t ng, unsigned short* pfs, Py_ssize_t npf,
                        unsigned short* sigs, Py_ssize_t nsa, unsigned short* tmp, char* txt,
                        unsigned int legacy, int msg_type, bint sni, bint have_sv, unsigned int best,
                        const uint8_t* alpn, Py_ssize_t alpn_n, str proto):
    """The fingerprint texts and their digests (_tls_fp's work on a memo miss)."""
    cdef Py_ssize_t o, k, cnt
    cdef uint8_t a1, a2
    if True:
        # JA3 / JA3S: decimal, "-" inside a field, "," between fields.
        o = _put_dec(txt, 0, legacy)
        txt[o] = c','
        o = _put_list(txt, o + 1, ciphers, nc, False, c'-')
        txt[o] = c','
        o = _put_list(txt, o + 1, exts, ne, False, c'-')
        if msg_type == 2:
            return {"ja3s": _fp_hash(_md5, txt, o)}
        txt[o] = c','
        o = _put_list(txt, o + 1, groups, ng, False, c'-')
        txt[o] = c','
        o = _put_list(txt, o + 1, pfs, npf, False, c'-')
        ja3 = _fp_hash(_md5, txt, o)
        # JA4_a: transport, version, SNI or not, counts (at most 99), ALPN's ends.
        ver = _ja4_version(best if have_sv and best else legacy)
        if alpn_n <= 0:
            a1 = a2 = 0x30                         # "00": no ALPN, or an empty first name
        elif _alnum(alpn[0]) and _alnum(alpn[alpn_n - 1]):
            a1, a2 = alpn[0], alpn[alpn_n - 1]
        else:
            # A byte outside [0-9A-Za-z] at either end: the ends of its hex instead.
            a1, a2 = _HEXD[alpn[0] >> 4], _HEXD[alpn[alpn_n - 1] & 15]
        ja4a = f"{proto}{ver}{'d' if sni else 'i'}{min(nc, 99):02d}{min(ne, 99):02d}{chr(a1)}{chr(a2)}"
        # JA4_b: the ciphers sorted, 4-digit hex, truncated SHA-256.
        if nc:
            memcpy(tmp, ciphers, nc * sizeof(unsigned short))
            qsort(tmp, nc, sizeof(unsigned short), _cmp_u16)
            o = _put_list(txt, 0, tmp, nc, True, c',')
            ja4b = _fp_hash(_sha256, txt, o)[:12]
        else:
            ja4b = "000000000000"
        # JA4_c: extensions sorted without SNI and ALPN, "_", signature algorithms as sent.
        cnt = 0
        for k in range(ne):
            if exts[k] != 0 and exts[k] != 16:
                tmp[cnt] = exts[k]
                cnt += 1
        if cnt:
            qsort(tmp, cnt, sizeof(unsigned short), _cmp_u16)
            o = _put_list(txt, 0, tmp, cnt, True, c',')
            if nsa:
                txt[o] = c'_'
                o = _put_list(txt, o + 1, sigs, nsa, True, c',')
            ja4c = _fp_hash(_sha256, txt, o)[:12]
        else:
            ja4c = "000000000000"
        return {"ja4": f"{ja4a}_{ja4b}_{ja4c}", "ja3": ja3}


def tls_fingerprints(msg_type, body, proto="t"):
    """ja4 and ja3 of a ClientHello body (msg_type 1, after the 4-byte handshake
    header; proto "t" over TCP, "q" inside QUIC), ja3s of a ServerHello body (2)."""
    cdef bytes b = body if type(body) is bytes else bytes(body)
    return dict(_tls_fp(<const uint8_t*>PyBytes_AS_STRING(b), len(b), msg_type, proto))


cdef object _tls_stream_fp(object data):
    """tls_fingerprints of the hello that starts a TLS direction, when the whole
    message is there (a hello cut by the byte budget gets none).  The dict is the
    memo's own: read it, do not change it."""
    cdef bytes b = data if type(data) is bytes else bytes(data)
    cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = len(b), pos = 0, ln, hlen
    cdef bytearray out
    if n < 9 or d[0] != 0x16:
        return None
    ln = _u16(d + 3)
    hlen = _u24(d + 6)
    if 4 + hlen <= ln and 5 + 4 + hlen <= n:
        return _tls_fp(d + 9, hlen, d[5], "t")     # the common case: one record holds it
    out = bytearray()
    for _ in range(8):
        if pos + 5 > n or d[pos] != 0x16:
            break
        ln = _u16(d + pos + 3)
        out += b[pos + 5:pos + 5 + ln]
        pos += 5 + ln
        if len(out) >= 4 + hlen:
            break
    if len(out) < 4 + hlen:
        return None
    return tls_fingerprints(out[0], bytes(out[4:4 + hlen]))
