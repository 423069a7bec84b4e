# QUIC, compiled: Initial decryption (client_hello_meta), version names and the
# probe.
# Included by _fast.pyx (one extension); quic.py exports it.
# Uses _wire_tls.pxi (the hello) and _wire_tls_fingerprints.pxi (ja4).
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


# -------------------------------------------------------------- QUIC Initial decryption
# quic.client_hello_meta: the client's Initials decrypted (RFC 9001 5) for the
# ClientHello.  The AES work stays in ``cryptography`` (AES-GCM, and AES-ECB for header
# protection through one encryptor per key); the varints, header unprotection, nonce,
# CRYPTO frame walk and reassembly are done here.
cdef object _q_salt = None, _q_crypto = None, _q_hkdf = None, _q_hmac = None


cdef inline void _quic_init():
    global _q_salt, _q_crypto, _q_hkdf, _q_hmac
    if _q_salt is None:
        import hmac
        from . import quic
        _q_salt, _q_crypto, _q_hkdf, _q_hmac = quic._salt, quic._crypto, quic._hkdf_label, hmac.digest


cdef inline Py_ssize_t _q_varint(const uint8_t* b, Py_ssize_t n, Py_ssize_t i, uint64_t* v) noexcept:
    """quic._varint: the position after the varint at i (its value in v), or -1 where
    the original raised IndexError."""
    cdef Py_ssize_t k, ln
    if i >= n:
        return -1
    ln = 1 << (b[i] >> 6)
    if i + ln > n:
        return -1
    v[0] = b[i] & 0x3F
    for k in range(1, ln):
        v[0] = (v[0] << 8) | b[i + k]
    return i + ln


cdef object _q_initial_keys(object v, object dcid):
    """quic.initial_keys, with a reusable header-protection encryptor: (AEAD, iv,
    AES-ECB encryptor), or None without a salt or without ``cryptography``."""
    salt = _q_salt(v)
    lib = _q_crypto()
    if salt is None or lib is None:
        return None
    Cipher, algorithms, modes, AESGCM = lib
    initial = _q_hmac(salt, dcid, "sha256")
    client = _q_hkdf(initial, b"client in", 32)
    pfx = b"quicv2 " if v == 0x6B3343CF else b"quic "
    key = _q_hkdf(client, pfx + b"key", 16)
    iv = _q_hkdf(client, pfx + b"iv", 12)
    hp = _q_hkdf(client, pfx + b"hp", 16)
    return AESGCM(key), iv, Cipher(algorithms.AES(hp), modes.ECB()).encryptor()


cdef object _q_decrypt(bytes dg, tuple hdr, object keys):
    """quic.decrypt_initial: the frames of a client Initial, None on any failure."""
    cdef Py_ssize_t n, pos, pn_len, k
    cdef uint64_t tok, length
    cdef const uint8_t* p = _buf(dg, &n)
    cdef const uint8_t* mk
    cdef const uint8_t* ivp
    cdef bytes mask, iv, header
    cdef uint8_t f
    cdef uint8_t nonce[12]
    cdef char* h
    if keys is None:
        return None
    pos = hdr[4]
    pos = _q_varint(p, n, pos, &tok)
    if pos < 0 or tok > <uint64_t>(n - pos):
        return None                     # the token overruns: the length varint cannot follow
    pos += tok
    pos = _q_varint(p, n, pos, &length)
    if pos < 0 or length > <uint64_t>(n - pos) or length < 20:
        return None
    aead, iv, hp = keys
    try:
        mask = hp.update(dg[pos + 4:pos + 20])
        if len(mask) < 5 or len(iv) != 12:
            return None
        mk = <const uint8_t*>PyBytes_AS_STRING(mask)
        f = <uint8_t>(<int>hdr[0]) ^ (mk[0] & 0x0F)
        pn_len = (f & 3) + 1
        # The header as authenticated: unprotected first byte and packet number.
        header = PyBytes_FromStringAndSize(NULL, pos + pn_len)
        h = PyBytes_AS_STRING(header)
        h[0] = <char>f
        for k in range(1, pos):
            h[k] = <char>p[k]
        ivp = <const uint8_t*>PyBytes_AS_STRING(iv)
        for k in range(12):
            nonce[k] = ivp[k]
        for k in range(pn_len):
            h[pos + k] = <char>(p[pos + k] ^ mk[1 + k])
            nonce[12 - pn_len + k] ^= <uint8_t>h[pos + k]
        return aead.decrypt(PyBytes_FromStringAndSize(<char*>nonce, 12),
                            dg[pos + pn_len:pos + length], header)
    except Exception:
        return None


cdef void _q_crypto_frames(bytes frames, dict chunks) except *:
    """quic.crypto_frames: CRYPTO frame data by offset; PADDING, PING and ACK frames are
    skipped; any other frame, or a frame cut short, ends the walk."""
    cdef Py_ssize_t n, i = 0
    cdef const uint8_t* b = _buf(frames, &n)
    cdef uint64_t off, ln, cnt, j, x
    cdef uint8_t t
    while i < n:
        t = b[i]
        if t == 0x00:
            while i < n and b[i] == 0:     # PADDING fills most of an Initial: one run
                i += 1
        elif t == 0x01:
            i += 1
        elif t == 0x06:
            i = _q_varint(b, n, i + 1, &off)
            if i < 0:
                return
            i = _q_varint(b, n, i, &ln)
            if i < 0:
                return
            chunks[off] = frames[i:i + ln] if ln <= <uint64_t>(n - i) else frames[i:]
            if ln > <uint64_t>(n - i):
                return
            i += ln
        elif t == 0x02 or t == 0x03:
            i = _q_varint(b, n, i + 1, &x)      # largest acked
            if i < 0:
                return
            i = _q_varint(b, n, i, &x)          # delay
            if i < 0:
                return
            i = _q_varint(b, n, i, &cnt)
            if i < 0:
                return
            i = _q_varint(b, n, i, &x)          # first range
            if i < 0:
                return
            j = 0
            while j < cnt:                      # gap, range per extra range
                i = _q_varint(b, n, i, &x)
                if i < 0:
                    return
                i = _q_varint(b, n, i, &x)
                if i < 0:
                    return
                j += 1
            if t == 0x03:
                for j in range(3):
                    i = _q_varint(b, n, i, &x)
                    if i < 0:
                        return
        else:
            return                              # CONNECTION_CLOSE (0x1C) or another frame


def quic_client_hello_meta(dgrams):
    """quic.client_hello_meta: SNI, ALPN, supported_versions and ja4 of the ClientHello in
    the client's Initials ((datagram, long header fields) pairs); keys are derived
    once per version and DCID."""
    cdef dict chunks = {}, keys = {}
    cdef bytes b
    cdef Py_ssize_t hlen, ln
    _quic_init()
    for dg, hdr in dgrams:
        k = (hdr[1], hdr[2])
        if k not in keys and _q_salt(hdr[1]) is not None:
            try:
                keys[k] = _q_initial_keys(hdr[1], hdr[2])
            except Exception:
                keys[k] = None
        b = dg if type(dg) is bytes else bytes(dg)
        frames = _q_decrypt(b, tuple(hdr), keys.get(k))
        if frames:
            _q_crypto_frames(frames if type(frames) is bytes else bytes(frames), chunks)
    data = bytearray()
    for off in sorted(chunks):
        if off > len(data):
            break
        data += chunks[off][len(data) - off:]
    if len(data) < 4 or data[0] != 1:
        return {}
    hlen = (data[1] << 16) | (data[2] << 8) | data[3]
    b = bytes(data[4:4 + hlen])
    meta = _tls_hello(1, <const uint8_t*>PyBytes_AS_STRING(b), len(b), False) or {}
    out = {k: meta[k] for k in ("sni", "alpn", "supported_versions") if k in meta}
    if meta and len(b) == hlen:
        # JA4's "q" variant, from the whole ClientHello only (_wire_tls_fingerprints.pxi).
        fp = _tls_fp(<const uint8_t*>PyBytes_AS_STRING(b), len(b), 1, "q")
        if "ja4" in fp:
            out["ja4"] = fp["ja4"]
    return out


def quic_crypto_frames(frames, dict chunks):
    """quic.crypto_frames (for tests): CRYPTO frame data of decrypted frames, by offset."""
    _q_crypto_frames(frames if type(frames) is bytes else bytes(frames), chunks)


# ---------------------------------------------------------------- QUIC version names
cdef object _quic_version_str(uint32_t v):
    """quic.version_name: v1, v2, draft-N, Google's Qnnn/Tnnn, grease, mvfst-N, or hex."""
    cdef char s[4]
    if v == 0x00000001:
        return "v1"
    if v == 0x6B3343CF:
        return "v2"
    if v >> 8 == 0xFF0000:
        return f"draft-{v & 0xFF}"
    if v >> 24 == 0x51 or v >> 24 == 0x54:
        s[0] = <char>(v >> 24)
        s[1] = <char>((v >> 16) & 0xFF)
        s[2] = <char>((v >> 8) & 0xFF)
        s[3] = <char>(v & 0xFF)
        return PyUnicode_DecodeLatin1(s, 4, NULL)
    if v & 0x0F0F0F0F == 0x0A0A0A0A:
        return "grease"
    if v >> 8 == 0xFACEB0:
        return f"mvfst-{v & 0xFF}"
    return f"0x{v:08x}"


def quic_version_name(v):
    """quic.version_name, compiled (a 32-bit version)."""
    if not 0 <= v <= 0xFFFFFFFF:
        raise OverflowError("a QUIC version is 32 bits")
    return _quic_version_str(v)

# ------------------------------------------------------------------------ the probe


cdef object _quic_version_name = None, _quic_client_hello_meta = None


cdef inline bint _quic_known_version(uint32_t v) noexcept:
    """quic._known_version: versions seen in the wild."""
    return (v == 0x00000001 or v == 0x6B3343CF or v >> 8 == 0xFF0000 or v >> 8 == 0xFACEB0
            or ((v >> 24 == 0x51 or v >> 24 == 0x54)
                and 0x30 <= ((v >> 16) & 0xFF) <= 0x39 and 0x30 <= ((v >> 8) & 0xFF) <= 0x39
                and 0x30 <= (v & 0xFF) <= 0x39)
            or (v & 0x0F0F0F0F) == 0x0A0A0A0A or v == 0)


cdef inline bint _quic_gquic_legacy(const uint8_t* p, Py_ssize_t n) noexcept:
    """quic._gquic_legacy: flags, 8-byte CID, 'Q0xx' version in clear."""
    return n >= 13 and (p[0] & 0x01) and (p[0] & 0x08) and p[9] == 0x51 \
        and _digit(p[10]) and _digit(p[11]) and _digit(p[12])


cdef inline bint _quic_gquic_handshake(const uint8_t* p, Py_ssize_t n) noexcept:
    """quic._gquic_handshake: CHLO / SHLO / REJ tags in the first stream frame."""
    cdef Py_ssize_t hn
    if n <= 32 or (p[0] & 0x80) or not (p[0] & 0x08):
        return False
    hn = min(n, 64) - 9
    return memmem(p + 9, hn, b"CHLO", 4) != NULL or memmem(p + 9, hn, b"SHLO", 4) != NULL \
        or memmem(p + 9, hn, b"REJ\x00", 4) != NULL


def quic_probe(view, state):
    """quic.probe: long headers (or Google QUIC's) with a known version in either
    direction; the client's Initials (>= 1200 bytes) decrypted for the ClientHello."""
    global _quic_version_name, _quic_client_hello_meta
    cdef Py_ssize_t n, dl, sl, pos
    cdef const uint8_t* p
    cdef uint32_t v
    cdef int d
    cdef bint seen0 = False, seen1 = False
    cdef bytes b
    cdef list versions = [], initials = []
    _outcomes()
    if _quic_version_name is None:
        from . import quic
        _quic_version_name, _quic_client_hello_meta = quic.version_name, quic.client_hello_meta
    c2s, s2c = view.datagrams_c2s, view.datagrams_s2c
    for d in range(2):
        for dg in (s2c if d else c2s):
            if not dg:
                continue
            b = dg if type(dg) is bytes else bytes(dg)
            p = _buf(b, &n)
            if _quic_gquic_legacy(p, n):
                versions.append(b[9:13].decode())
            elif _quic_gquic_handshake(p, n):
                versions.append("gquic")
            else:
                # quic.parse_long: a long header, its CIDs inside the datagram.
                if not (p[0] & 0x80):
                    continue                    # short header: says nothing alone
                if n < 7:
                    return _MORE                # a long header cut before its CID lengths
                v = (<uint32_t>p[1] << 24) | (p[2] << 16) | (p[3] << 8) | p[4]
                if v >> 24 == 0x51 or v >> 24 == 0x54:
                    dl = sl = 0
                    pos = 6                     # Google QUIC Q046-Q050: nibble CID lengths
                else:
                    dl = p[5]
                    if (dl > 20 and v != 0) or 6 + dl >= n:
                        return _NO              # long-header bit set but malformed header
                    sl = p[6 + dl]
                    if sl > 20 and v != 0:
                        return _NO
                    pos = 7 + dl + sl
                if not _quic_known_version(v):
                    return _NO
                versions.append(_quic_version_str(v))
                if d == 0 and n >= 1200 and len(initials) < 3:
                    if v >> 24 == 0x51 or v >> 24 == 0x54:
                        hdr = (p[0], v, b"", b"", 6)
                    else:
                        hdr = (p[0], v, b[6:6 + dl], b[7 + dl:7 + dl + sl], pos)
                    initials.append((dg, hdr))
            if d:
                seen1 = True
            else:
                seen0 = True
    if not versions:
        return _NO if (c2s or s2c) and len(c2s) + len(s2c) >= 4 else _MORE
    meta = {"version": versions[0]}
    for ver in versions:
        if ver != "0x00000000" and ver != "grease":
            meta["version"] = ver
            break
    if initials:
        for k, val in _quic_client_hello_meta(initials).items():
            if val is not None:
                meta[k] = val
    # A client Initial is padded to >= 1200 bytes (RFC 9000 14.1); that, or headers in
    # both directions, is strong evidence.  A single small long-header packet is weaker.
    return _claim("quic", 1.0 if initials or (seen0 and seen1) else 0.8, meta)
