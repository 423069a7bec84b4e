# DTLS probe, compiled.
# Included by _fast.pyx (one extension); dtls.py exports it.
# Uses _wire_tls.pxi (the hello).
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef inline bint _dtls_type(uint8_t t) noexcept:          # dtls._TYPES
    return t == 0x14 or t == 0x15 or t == 0x16 or t == 0x17 or t == 0x19


cdef inline bint _dtls_version(unsigned int v) noexcept:  # dtls._VERSIONS
    return v == 0xFEFF or v == 0xFEFD or v == 0x0100


cdef inline bint _dtls_multiplexed(uint8_t b) noexcept:   # dtls._multiplexed (RFC 7983)
    return b <= 3 or 64 <= b <= 79 or 128 <= b <= 191


cdef enum:
    DTLS_NOT = 0        # records(): None
    DTLS_RECORDS = 1    # a list of records
    DTLS_SHORT = 2      # MORE
    DTLS_CUT = 3        # CUT


cdef int _dtls_chain(const uint8_t* d, Py_ssize_t n) noexcept:
    """dtls.records' outcome without building the records: the datagram is a chain of
    records (DTLS_RECORDS), not DTLS, a too-short prefix, or cut inside a record."""
    cdef Py_ssize_t pos = 0, ln
    while pos < n:
        if not _dtls_type(d[pos]):
            return DTLS_NOT
        if n - pos < 13:
            if pos == 0 and (n < 3 or _dtls_version((d[1] << 8) | d[2])):
                return DTLS_SHORT
            return DTLS_NOT
        ln = (d[pos + 11] << 8) | d[pos + 12]
        if not _dtls_version((d[pos + 1] << 8) | d[pos + 2]) or ln == 0:
            return DTLS_NOT
        if pos + 13 + ln > n:
            # Every record before this one was whole, or this is the first: records()
            # answers CUT either way (the caller decides whether a budget cut it).
            return DTLS_CUT
        pos += 13 + ln
    return DTLS_RECORDS


cdef int _dtls_records(const uint8_t* d, Py_ssize_t n, dict meta) except -1:
    """Walk a datagram that _dtls_chain accepted, as dtls.probe walks records()'s list:
    returns how many handshakes were held against the flow (parse_hello None)."""
    cdef Py_ssize_t pos = 0, ln, flen, blen
    cdef const uint8_t* body
    cdef int bad = 0
    cdef unsigned int ver
    cdef uint8_t ctype
    cdef object hello
    while pos < n:
        ctype = d[pos]
        ver = (d[pos + 1] << 8) | d[pos + 2]
        ln = (d[pos + 11] << 8) | d[pos + 12]
        body = d + pos + 13
        if "version" not in meta:
            meta["version"] = _tls_version_name(ver)
        if ctype == 0x16 and d[pos + 3] == 0 and d[pos + 4] == 0 and ln >= 12 \
                and (body[0] == 1 or body[0] == 2):
            # Handshake header: type, length(3), message_seq(2), frag_off(3), frag_len(3)
            flen = (body[9] << 16) | (body[10] << 8) | body[11]
            blen = ln - 12 if flen > ln - 12 else flen
            hello = _tls_hello(body[0], body + 12, blen, True)
            if hello is None:
                bad += 1
            else:
                for k in ("sni", "alpn", "supported_versions"):
                    if k in hello and k not in meta:
                        meta[k] = hello[k]
                if body[0] == 2 and "version" in hello:
                    meta["version"] = hello["version"]
                meta["handshake"] = True
        pos += 13 + ln
    return bad


def dtls_probe(view, state):
    """dtls.probe: every datagram that is not STUN/TURN/RTP (RFC 7983) must be a chain
    of DTLS records; ClientHello/ServerHello metadata from epoch-0 handshakes."""
    cdef int seen = 0, bad = 0, chain
    cdef Py_ssize_t n
    cdef const uint8_t* p
    cdef bytes b
    cdef dict meta = {}
    _outcomes()
    dgc, dgs = view.datagrams_c2s, view.datagrams_s2c
    last_c = dgc[len(dgc) - 1] if dgc else None
    last_s = dgs[len(dgs) - 1] if dgs else None
    if dgc or dgs:
        units = [d for d in dgc if d] + [d for d in dgs if d]
    else:
        units = [d for d in (view.payload_c2s, view.payload_s2c) if d]
    for dg in units:
        b = dg if type(dg) is bytes else bytes(dg)
        p = _buf(b, &n)
        if not _dtls_type(p[0]):
            if _dtls_multiplexed(p[0]):
                continue
            return _NO
        chain = _dtls_chain(p, n)
        if chain == DTLS_NOT:
            # Vendors wrap extra records in DTLS-looking headers (seen in Zoom): one
            # odd datagram is held against the flow only if no handshake shows up.
            bad += 1
            continue
        if chain == DTLS_SHORT:
            return _MORE
        if chain == DTLS_CUT:
            if dg is last_c or dg is last_s:
                continue                    # the last kept datagram, cut by the budget
            return _NO
        seen += 1
        bad += _dtls_records(p, n, meta)
    if meta.get("handshake"):
        return _claim("dtls", 0.9 if bad else 1.0, {k: v for k, v in meta.items() if v is not None})
    if bad:
        # Odd datagrams and no handshake: not DTLS -- unless that is all we have seen
        # so far (one vendor datagram may precede the ClientHello).
        return _MORE if bad == 1 and not seen else _NO
    if seen:
        # Only encrypted records (capture started mid-session): a 13-byte header whose
        # version and length chain exactly to the datagram's end is still convincing.
        return _claim("dtls", 0.8 if seen >= 2 else 0.75, {k: v for k, v in meta.items() if v is not None})
    return _MORE
