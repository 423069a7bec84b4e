# Compiled probes of the next most expensive detectors (after the _fast_udp.pxi ones):
# dtls, radius, the HTTP-syntax probes (http, http-proxy, rtsp, sip: the parser is
# _fast_http.pxi's), smallchat, wireguard, QUIC Initial decryption and version names,
# mongodb, coap, kerberos, dhcpv6, tftp, ntp, dhcp, and the line helpers of
# ftp/smtp/pop3/imap.  Each detector module exports its own; the pure-Python originals
# are the test oracles in tests/detectors/reference_parsers.py (test_compiled.py).

# ------------------------------------------------------------------------------ DTLS
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
    """dtls.records' verdict without building the records: the datagram is a chain of
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
    _verdicts()
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
        return _match("dtls", 0.9 if bad else 1.0, {k: v for k, v in meta.items() if v is not None})
    if bad:
        # Odd datagrams and no handshake: not DTLS -- unless that is all we have seen
        # so far (one vendor datagram may precede the ClientHello).
        return _MORE if bad == 1 and not seen else _NO
    if seen:
        # Only encrypted records (capture started mid-session): a 13-byte header whose
        # version and length chain exactly to the datagram's end is still convincing.
        return _match("dtls", 0.8 if seen >= 2 else 0.75, {k: v for k, v in meta.items() if v is not None})
    return _MORE


# ---------------------------------------------------------------------------- RADIUS
cdef object _radius_codes = None        # radius.CODES, imported on first use


cdef object _radius_parse(const uint8_t* d, Py_ssize_t n):
    """radius.parse: metadata dict, None (not RADIUS) or _MORE (too short to tell)."""
    cdef Py_ssize_t ln, pos = 20, alen, walked = 0
    cdef uint8_t t
    cdef dict meta
    code = _radius_codes.get(d[0])
    if code is None:
        return None
    if n < 20:
        return _MORE
    ln = (d[2] << 8) | d[3]
    # The length field covers the whole packet; extra bytes are allowed as padding by
    # the RFC but in practice length == datagram size, and requiring it kills chance hits.
    if ln < 20 or ln > 4096 or ln != n:
        return None
    if ln > 20 and (d[20] == 0 or d[21] < 2):
        return None                        # the first attribute must be well formed
    meta = {"code": code}
    while pos < ln:
        if pos + 2 > ln:
            break
        t = d[pos]
        alen = d[pos + 1]
        if alen < 2 or pos + alen > ln:
            # A damaged attribute list after a valid length and several good attributes
            # (seen in fuzzed and truncated captures): still RADIUS, less confident.
            if walked < 3:
                return None
            meta["malformed"] = True
            break
        walked += 1
        if t == 1:
            meta["user_name"] = _dec(d + pos + 2, alen - 2)
        pos += alen
    return meta


def radius_parse(dg):
    """radius.parse, for tests: metadata dict, None, or base.MORE."""
    global _radius_codes
    cdef Py_ssize_t n
    cdef bytes b = dg if type(dg) is bytes else bytes(dg)
    _verdicts()
    if _radius_codes is None:
        from . import radius
        _radius_codes = radius.CODES
    if len(b) == 0:
        raise IndexError("index out of range")      # dg[0], as the original
    return _radius_parse(_buf(b, &n), n)


def radius_probe(view, state):
    """radius.probe: every datagram a RADIUS packet whose length field is its size and
    whose attributes tile it; metadata of the first."""
    global _radius_codes
    cdef Py_ssize_t n
    cdef bytes b
    cdef object meta = None, r
    _verdicts()
    if _radius_codes is None:
        from . import radius
        _radius_codes = radius.CODES
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for u in dgs:
            if not u:
                continue
            b = u if type(u) is bytes else bytes(u)
            r = _radius_parse(_buf(b, &n), n)
            if r is None:
                return _NO
            if r is _MORE:
                return _MORE
            if meta is None:
                meta = r
    if meta is None:
        return _MORE
    return _match("radius", 0.8 if "malformed" in meta else 0.95, meta)


# _fast_http.pxi's): http, http-proxy, rtsp, sip.


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
        return _match("http", 0.85 if proxied else conf, _no_none(meta))
    if nmore:
        return _MORE
    return _NO


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
        return _match("http-proxy", 0.95, _no_none({"method": "CONNECT", "host": m.target[:256],
                                                   "user_agent": m.headers.get("user-agent")}))
    if m.target.startswith(("http://", "ftp://")):
        return _match("http-proxy", 0.95, _no_none({"method": m.method, "host": m.target[:256],
                                                   "user_agent": m.headers.get("user-agent")}))
    # Origin-form requests ("GET /x") go to the origin server: plain http.
    return _NO


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
        return _match("rtsp", 1.0, _no_none(meta))
    return _MORE if more else _NO


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
        return _match("sip", 1.0, _no_none({
            "method": m.method, "status": m.status,
            "user_agent": h.get("user-agent") or h.get("server"),
            "from_": h.get("from") or h.get("f"), "to": h.get("to") or h.get("t"),
            "call_id": h.get("call-id") or h.get("i")}))
    return _MORE if more else _NO


# ------------------------------------------------------------------------- SmallChat
cdef uint32_t _sc_mask(const uint8_t* p, Py_ssize_t n) noexcept:
    """smallchat_offsets(dg, MAX_OFFSET=24) as a bit mask (bit i: offset i)."""
    cdef Py_ssize_t i, end
    cdef uint32_t out = 0
    end = min(n, 24 + 3) - 3
    for i in range(end + 1):
        if _sc_type(p + i):
            if not (i and 65 <= p[i - 1] <= 90) and not (i + 3 < n and 65 <= p[i + 3] <= 90):
                out |= (<uint32_t>1) << i
    return out


def smallchat_probe(view, state):
    """smallchat.probe: every datagram carries a type token (HLO ACK LEV MSG BAD CNF) at
    one common offset (at most 24), behind the same chat id."""
    cdef Py_ssize_t n, k
    cdef uint32_t common = 0xFFFFFFFF, m
    cdef bytes b
    _verdicts()
    dgs = [d for d in list(view.datagrams_c2s[:4]) + list(view.datagrams_s2c[:4]) if d]
    if not dgs:
        return _MORE
    for dg in dgs:
        b = dg if type(dg) is bytes else bytes(dg)
        m = _sc_mask(_buf(b, &n), n)
        if not m:
            # Cut by the byte budget before the type field could appear: wait.
            return _NO if n >= 24 + 3 else _MORE
        common &= m
        if not common:
            return _NO                     # the type sits at one fixed offset
    k = 0
    while not (common >> k) & 1:
        k += 1
    ids = {dg[:k] for dg in dgs} if k else {dg[3:11] for dg in dgs}
    types = sorted({dg[k:k + 3].decode() for dg in dgs})
    d0 = dgs[0]
    if len(dgs) >= 2:
        if k and len(ids) != 1:
            return _NO                     # one flow = one chat: the ID never changes
        return _match("smallchat", 0.9, {"types": types, "chat_id": (d0[:k] or d0[3:11]).hex()})
    # One datagram is not enough: a three-letter token within the first 27 bytes turns
    # up in random datagrams a few times per million; a second one at the same offset
    # behind the same id does not.
    return _MORE


# ------------------------------------------------------------------------- WireGuard
cdef enum:
    WG_NONE = -1
    WG_MORE = 0


cdef int _wg_kind(const uint8_t* d, Py_ssize_t n) noexcept:
    """wireguard.kind: the message type 1-4, WG_MORE (a short prefix of one) or WG_NONE."""
    cdef Py_ssize_t k
    if d[0] < 1 or d[0] > 4:
        return WG_NONE
    if n < 4:
        for k in range(1, n):
            if d[k]:
                return WG_NONE
        return WG_MORE
    if d[1] or d[2] or d[3]:
        return WG_NONE                     # reserved bytes are always zero
    if d[0] == 1:                          # wireguard.SIZES
        return 1 if n == 148 else WG_NONE
    if d[0] == 2:
        return 2 if n == 92 else WG_NONE
    if d[0] == 3:
        return 3 if n == 64 else WG_NONE
    return 4 if n >= 32 and n % 16 == 0 else WG_NONE


cdef inline bint _wg_head(object d, uint8_t t, Py_ssize_t minlen):
    """d[:4] == bytes((t, 0, 0, 0)) and len(d) >= minlen."""
    cdef Py_ssize_t n
    cdef bytes b = d if type(d) is bytes else bytes(d)
    cdef const uint8_t* p = _buf(b, &n)
    return n >= 4 and n >= minlen and p[0] == t and p[1] == 0 and p[2] == 0 and p[3] == 0


def wireguard_probe(view, state):
    """wireguard.probe: the first 3 datagrams of each side are WireGuard messages (type,
    3 zero bytes, the type's size); a handshake 1.0, transport data alone 0.7."""
    cdef Py_ssize_t n, count = 0
    cdef int k
    cdef unsigned int kinds = 0
    cdef bint linked = False
    cdef bytes b
    cdef const uint8_t* p
    _verdicts()
    # A response (type 2) whose receiver index echoes the initiation's sender index:
    # true of WireGuard variants that pad their handshakes (e.g. TunnelBear).
    c = s = None
    for d in view.datagrams_c2s:
        if _wg_head(d, 1, 148):
            c = d
            break
    for d in view.datagrams_s2c:
        if _wg_head(d, 2, 92):
            s = d
            break
    linked = bool(c and s and c[4:8] == s[8:12])
    for dg in list(view.datagrams_c2s[:3]) + list(view.datagrams_s2c[:3]):
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        p = _buf(b, &n)
        k = _wg_kind(p, n)
        if k == WG_NONE and linked and (p[0] == 1 or p[0] == 2 or p[0] == 4):
            k = p[0]
        if k == WG_NONE and n > 148 and p[0] == 1 and p[1] == 0 and p[2] == 0 and p[3] == 0 \
                and not view.datagrams_s2c:
            return _MORE                  # a padded initiation: the response will tell
        if k == WG_NONE:
            return _NO
        if k == WG_MORE:
            return _MORE
        kinds |= (<unsigned int>1) << k
        count += 1
    if not count:
        return _MORE
    messages = [k for k in range(1, 5) if kinds & ((<unsigned int>1) << k)]
    if kinds & 6:
        return _match("wireguard", 1.0, {"messages": messages})
    # Transport data only (capture began after the handshake): the 3-zero-byte header
    # and 16-byte alignment in several packets is still distinctive.
    if count >= 3:
        return _match("wireguard", 0.7, {"messages": messages})
    return _MORE


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
        # JA4's "q" variant, from the whole ClientHello only (_fast_fp.pxi).
        fp = _tls_fp(<const uint8_t*>PyBytes_AS_STRING(b), len(b), 1, "q")
        if "ja4" in fp:
            out["ja4"] = fp["ja4"]
    return out


def quic_crypto_frames(frames, dict chunks):
    """quic.crypto_frames (for tests): CRYPTO frame data of decrypted frames, by offset."""
    _q_crypto_frames(frames if type(frames) is bytes else bytes(frames), chunks)


# --------------------------------------------------------------------------- MongoDB
cdef object _mongo_ops = None           # mongodb.OPS


cdef inline uint32_t _le32(const uint8_t* p) noexcept:
    return p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef int _mongo_header(object data, uint32_t* h) except -1:
    """mongodb.header: 1 with (length, requestID, responseTo, opCode) in h, 0 when it is
    not a MongoDB header, 2 (MORE) when shorter than 16 bytes."""
    cdef Py_ssize_t n
    cdef bytes b = data if type(data) is bytes else bytes(data)
    cdef const uint8_t* p = _buf(b, &n)
    if n < 16:
        return 2
    h[0] = _le32(p)
    h[1] = _le32(p + 4)
    h[2] = _le32(p + 8)
    h[3] = _le32(p + 12)
    if h[3] not in _mongo_ops or h[0] < 16 or h[0] > 48 * 1024 * 1024:
        return 0                          # maxMessageSizeBytes is 48 MB
    return 1


def mongodb_probe(view, state):
    """mongodb.probe: a request header (known opCode, responseTo 0 or -1) answered by a reply
    whose responseTo is the request's id (1.0), or a lone OP_MSG/OP_QUERY whose length
    is the stream's (0.8)."""
    global _mongo_ops
    cdef uint32_t hc[4]
    cdef uint32_t hs[4]
    cdef int r
    _verdicts()
    if _mongo_ops is None:
        from . import mongodb
        _mongo_ops = mongodb.OPS
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return _MORE
    r = _mongo_header(c, hc)
    if r == 0:
        return _NO
    if r == 2:
        return _MORE
    if hc[3] == 1:
        return _NO                         # a client never sends OP_REPLY
    if hc[2] != 0 and hc[2] != 0xFFFFFFFF:
        # A request's responseTo is 0, or -1 from some legacy drivers' OP_QUERY (the
        # field is only meaningful in replies); another value is a reply.
        return _NO
    if s:
        r = _mongo_header(s, hs)
        if r == 2:
            return _MORE
        if r == 0 or hs[2] != hc[1]:
            return _NO
        return _match("mongodb", 1.0, {"op": _mongo_ops[hc[3]]})
    # Request alone: only OP_MSG/OP_QUERY with a fitting length are convincing.
    if (hc[3] == 2004 or hc[3] == 2013) and hc[0] == len(c):
        return _match("mongodb", 0.8, {"op": _mongo_ops[hc[3]]})
    return _MORE


# ------------------------------------------------------------------------------ CoAP
cdef bint _coap_ready = False
cdef uint8_t _coap_codes[256]            # coap.CODES
cdef uint8_t _coap_opts[2053]            # coap.OPTIONS (all below 2053)
cdef tuple _COAP_TYPES = ("CON", "NON", "ACK", "RST")     # coap.TYPES


cdef void _coap_init() except *:
    global _coap_ready
    cdef int k
    from . import coap
    for k in range(256):
        _coap_codes[k] = k in coap.CODES
    for k in range(2053):
        _coap_opts[k] = k in coap.OPTIONS
    if max(coap.OPTIONS) >= 2053 or tuple(coap.TYPES) != _COAP_TYPES:
        raise ValueError("coap tables changed: update _fast_probes.pxi")
    _coap_ready = True


cdef struct CoapInfo:
    Py_ssize_t unknown, texts     # unregistered options, printable options
    Py_ssize_t longest            # the longest printable option value
    bint uri_text                 # a printable Uri-Host/Path/Query/Proxy-* value, 3+ bytes
    bint options                  # any option at all


cdef inline Py_ssize_t _coap_ext(const uint8_t* d, Py_ssize_t n, Py_ssize_t* pos, Py_ssize_t v) noexcept:
    """An option delta or length nibble with its extended bytes (RFC 7252 3.1), or -1
    when they run past the datagram (the original raised or was cut: not CoAP)."""
    if v == 13:
        if pos[0] >= n:
            return -1
        v = 13 + d[pos[0]]
        pos[0] += 1
    elif v == 14:
        if pos[0] + 2 > n:
            return -1
        v = 269 + ((d[pos[0]] << 8) | d[pos[0] + 1])
        pos[0] += 2
    return v


cdef int _coap_parse(const uint8_t* d, Py_ssize_t n, CoapInfo* info, list path) except -1:
    """coap.parse: 1 (a CoAP message: ``info`` filled, Uri-Path segments appended to
    ``path`` when given), 0 (not CoAP) or 2 (MORE)."""
    cdef Py_ssize_t tkl, pos, opt = 0, delta, length, k
    cdef uint8_t code, b, typ
    cdef bint text
    if d[0] >> 6 != 1:
        return 0
    tkl = d[0] & 0x0F
    if tkl > 8:
        return 0                          # token lengths 9-15 are reserved
    if n < 4 + tkl:
        return 2
    code = d[1]
    if not _coap_codes[code]:
        return 0                          # only registered codes (RFC 7252 12.1, 7959, 8132)
    if code == 0 and (tkl or n != 4):
        return 0                          # the Empty message is exactly 4 bytes
    # RFC 7252 4.5 (Table 1, usage of message types): a request rides CON or NON, a
    # response CON, NON or ACK, an Empty message CON, ACK or RST -- so a Reset is
    # always Empty and a NON never is.
    typ = (d[0] >> 4) & 3
    if (typ == 1 if code == 0 else (typ >= 2 if code < 32 else typ == 3)):
        return 0
    info.unknown = info.texts = info.longest = 0
    info.uri_text = False
    pos = 4 + tkl
    while pos < n:
        b = d[pos]
        if b == 0xFF:
            if pos + 1 == n:
                return 0                  # a payload marker must be followed by payload
            break
        delta = b >> 4
        length = b & 0x0F
        if delta == 15 or length == 15:
            return 0
        pos += 1
        delta = _coap_ext(d, n, &pos, delta)
        if delta < 0:
            return 0
        length = _coap_ext(d, n, &pos, length)
        if length < 0 or pos + length > n:
            return 0
        opt += delta
        if opt >= 2053 or not _coap_opts[opt]:
            info.unknown += 1
        elif code >= 32 and (opt == 3 or opt == 7 or opt == 11 or opt == 15 or opt == 35
                             or opt == 39):
            return 0                      # Uri-*/Proxy-* are request options (5.10, Table 4)
        if length:
            text = True
            for k in range(pos, pos + length):
                if d[k] < 32 or d[k] >= 127:
                    text = False
                    break
            if text:
                info.texts += 1
                if length > info.longest:
                    info.longest = length
                if length >= 3 and (opt == 3 or opt == 11 or opt == 15 or opt == 35 or opt == 39):
                    info.uri_text = True
        if opt == 11 and path is not None and code < 32:
            path.append(_dec(d + pos, length))
        pos += length
    info.options = opt > 0
    return 1


def coap_probe(view, state):
    """coap.probe: every datagram a CoAP message (registered code, options walking to
    the payload marker or the end); a lone header needs to be a request with registered
    options and a text URI part, or two text options; a Uri-Path or two messages make it
    certain (0.95)."""
    cdef Py_ssize_t n, count = 0
    cdef int r, p0_class = 0
    cdef CoapInfo info, first
    cdef bytes b
    cdef const uint8_t* p
    cdef list path = None
    cdef dict meta
    _verdicts()
    if not _coap_ready:
        _coap_init()
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        p = _buf(b, &n)
        if count == 0:
            path = []
            r = _coap_parse(p, n, &info, path)
        else:
            r = _coap_parse(p, n, &info, None)
        if r == 0:
            return _NO
        if r == 2:
            return _MORE
        if count == 0:
            first = info
            p0_class = p[1] >> 5
            meta = {"type": _COAP_TYPES[(p[0] >> 4) & 3],
                    "code": f"{p[1] >> 5}.{p[1] & 0x1F:02d}"}
            if path:
                meta["uri_path"] = "/".join(path)
        count += 1
    if count == 0:
        return _MORE
    # A 4-byte header is little evidence; a request with a Uri-Path or a request and
    # its response make it certain.  A lone datagram must be a request with registered
    # options only, one of them a 3-byte-or-longer text URI part (host, path, query,
    # proxy), or carry two text options, one of 3 bytes or more, with no more unknown
    # options than text ones: random datagrams, which met the looser "registered
    # options, or two texts" about 60 times per 500k, essentially never do.
    if count < 2 and not ((p0_class == 0 and not first.unknown and first.uri_text)
                          or (first.texts >= 2 and first.longest >= 3
                              and first.unknown <= first.texts)):
        return _MORE
    # (An empty Uri-Path is reported, but is no evidence.)
    return _match("coap", 0.95 if meta.get("uri_path") or count >= 2 else 0.7, meta)


# -------------------------------------------------------------------------- Kerberos
cdef object _krb_apps = None            # kerberos.APPS


cdef int _krb_parse(const uint8_t* d, Py_ssize_t n) noexcept:
    """kerberos.parse: the [APPLICATION n] tag (a message), 0 (not Kerberos) or -1
    (MORE): a SEQUENCE whose first field, [0] or [1], is pvno INTEGER 5."""
    cdef Py_ssize_t t[3]
    cdef Py_ssize_t s[3]
    cdef Py_ssize_t k
    cdef int r, app
    cdef uint64_t u
    r = _ber_tlv(d, n, 0, t)
    if r != 1:
        return -1 if r == 2 else 0
    app = <int>t[0]
    if not (0x6A <= app <= 0x6F or 0x74 <= app <= 0x76 or app == 0x7E):   # kerberos.APPS
        return 0                         # messages are [APPLICATION n] of RFC 4120 5.10
    r = _ber_tlv(d, n, t[1], s)
    if r != 1:
        return -1 if r == 2 else 0
    if s[0] != 0x30:
        return 0                         # each wraps a SEQUENCE
    r = _ber_tlv(d, n, s[1], t)
    if r != 1:
        return -1 if r == 2 else 0
    # KDC-REQ starts with [1] pvno, KDC-REP and KRB-ERROR with [0] pvno; both INTEGER 5.
    if t[0] != 0xA0 and t[0] != 0xA1:
        return 0
    r = _ber_tlv(d, n, t[1], s)          # _ber.integer
    if r != 1:
        return -1 if r == 2 else 0
    if s[0] != 0x02 or s[2] - s[1] > 8 or s[2] == s[1]:
        return 0                         # a non-empty INTEGER that fits 64 bits
    if s[2] > n:
        return -1
    u = 0xFFFFFFFFFFFFFFFF if d[s[1]] & 0x80 else 0      # signed, big-endian
    for k in range(s[1], s[2]):
        u = (u << 8) | d[k]
    if u != 5:
        return 0                         # pvno is always 5
    return app


def kerberos_probe(view, state):
    """kerberos.probe: every message (UDP datagram, or TCP record after its 4-byte
    record mark) an [APPLICATION n] SEQUENCE starting with pvno 5."""
    global _krb_apps
    cdef Py_ssize_t n, ln
    cdef int r, first = 0
    cdef bytes b
    cdef list units
    _verdicts()
    if _krb_apps is None:
        from . import kerberos
        _krb_apps = kerberos.APPS
    if view.transport == "udp":
        units = [d for d in list(view.datagrams_c2s) + list(view.datagrams_s2c) if d]
    else:
        units = []
        for data in (view.payload_c2s, view.payload_s2c):
            if not data:
                continue
            if len(data) < 4:
                return _MORE
            ln = (<Py_ssize_t>data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]
            if ln == 0 or ln > 1 << 20:
                return _NO               # the record mark's top bit is reserved (RFC 4120 7.2.2)
            units.append(data[4:])
    for u in units:
        b = u if type(u) is bytes else bytes(u)
        r = _krb_parse(_buf(b, &n), n)
        if r == 0:
            return _NO                    # one malformed message: not Kerberos
        if r < 0:
            return _MORE
        if not first:
            first = r
    if not first:
        return _MORE
    return _match("kerberos", 1.0, {"msg_type": _krb_apps[first]})


# --------------------------------------------------------------------------- DHCPv6
cdef object _dhcp6_types = None         # dhcpv6.TYPES


def dhcpv6_probe(view, state):
    """dhcpv6.probe: the first datagram is a known message type whose options (after
    the 4-byte header, 34 for relays) tile it exactly and include a client or server
    identifier or a relay message (0.95)."""
    global _dhcp6_types
    cdef Py_ssize_t n, pos, start, ln
    cdef unsigned int code
    cdef bint ident = False
    cdef bytes b
    cdef const uint8_t* d
    _verdicts()
    if _dhcp6_types is None:
        from . import dhcpv6
        _dhcp6_types = dhcpv6.TYPES
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        d = _buf(b, &n)
        name = _dhcp6_types.get(d[0])
        if name is None:
            return _NO
        start = 34 if d[0] == 12 or d[0] == 13 else 4   # relay: hop count + two addresses
        if n < start + 4:
            return _MORE
        pos = start
        while pos < n:
            if pos + 4 > n:
                return _NO
            code = (d[pos] << 8) | d[pos + 1]
            ln = (d[pos + 2] << 8) | d[pos + 3]
            if code == 0 or code > 300 or pos + 4 + ln > n:
                return _NO               # option 0 is reserved; options must fit
            if code == 1 or code == 2 or code == 9:
                ident = True
            pos += 4 + ln
        # Client/server messages carry a client or server identifier (options 1/2) or,
        # for relays, a relay message (9): an option list without one is a chance tiling.
        if not ident:
            return _NO
        return _match("dhcpv6", 0.95, {"message_type": name})
    return _MORE


# ----------------------------------------------------------------------------- TFTP
cdef tuple _TFTP_MODES = (b"netascii", b"octet", b"mail")    # tftp.MODES
cdef tuple _TFTP_OACK_NAMES = (b"blksize", b"tsize", b"timeout", b"windowsize")


@cython.wraparound(True)
cdef object _tftp_parse(bytes dg):
    """tftp.parse: metadata dict, None (not TFTP) or _MORE."""
    cdef Py_ssize_t n = len(dg)
    cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(dg)
    cdef unsigned int op
    if n < 2:
        return _MORE if n == 1 and d[0] == 0 else None
    op = (d[0] << 8) | d[1]
    if op == 1 or op == 2:
        parts = dg[2:].split(b"\x00")
        if len(parts) < 3:
            return _MORE if n < 512 else None
        fname, mode = parts[0], parts[1].lower()
        if not fname or mode not in _TFTP_MODES or parts[-1] != b"":
            return None                   # the mode is one of three fixed strings
        return {"opcode": "RRQ" if op == 1 else "WRQ", "filename": _dec(d + 2, len(fname)),
                "mode": mode.decode()}
    if op == 3:
        if n < 4:
            return _MORE
        # DATA carries at most blksize bytes (512 unless negotiated, max 65464).
        return {"opcode": "DATA", "block": (d[2] << 8) | d[3]} if n <= 65468 else None
    if op == 4:
        if n < 4:
            return _MORE
        return {"opcode": "ACK", "block": (d[2] << 8) | d[3]} if n == 4 else None
    if op == 5:
        if n < 5:
            return _MORE
        return {"opcode": "ERROR"} if ((d[2] << 8) | d[3]) <= 8 and d[n - 1] == 0 else None
    if op == 6:
        return {"opcode": "OACK"} if d[n - 1] == 0 and n > 3 else None
    return None


@cython.wraparound(True)
def tftp_probe(view, state):
    """tftp.probe: a read/write request (1.0), a transfer's DATA/ACK pair with small
    block numbers (0.9), or an option acknowledgement with registered names (0.8)."""
    cdef dict first = {}
    cdef bytes b
    _verdicts()
    for d, dgs in ((0, view.datagrams_c2s), (1, view.datagrams_s2c)):
        for dg in dgs[:2]:
            if not dg:
                continue
            b = dg if type(dg) is bytes else bytes(dg)
            r = _tftp_parse(b)
            if r is None:
                return _NO
            if r is _MORE:
                return _MORE
            first.setdefault(d, r)
    if not first:
        return _MORE
    ops = {r["opcode"] for r in first.values()}
    if "RRQ" in ops or "WRQ" in ops:
        m = first.get(0) or first[1]
        return _match("tftp", 1.0, dict(m))
    # A transfer flow: DATA one way, ACK the other, block numbers small.
    if ops <= {"DATA", "ACK", "OACK", "ERROR"} and len(first) == 2 and \
            all(r.get("block", 0) <= 2 for r in first.values()) and ("DATA" in ops or "OACK" in ops):
        return _match("tftp", 0.9, {"opcode": "transfer"})
    if ops == {"OACK"}:
        # An option acknowledgement alone (the request went to another flow): its
        # name/value pairs use the registered option names (RFC 2347-2349, 7440).
        dg = (view.datagrams_c2s or view.datagrams_s2c)[0]
        names = dg[2:].split(b"\x00")[0:-1:2]
        if names and all(nm.lower() in _TFTP_OACK_NAMES for nm in names):
            return _match("tftp", 0.8, {"opcode": "OACK"})
        return _NO
    if len(first) == 1:
        return _MORE
    return _NO


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


# ------------------------------------------------------------------------------- NTP
cdef tuple _NTP_MODES = (None, "symmetric-active", "symmetric-passive", "client", "server",
                         "broadcast", "control", "private")       # ntp.MODES


cdef object _ntp_parse(const uint8_t* d, Py_ssize_t n):
    """ntp.parse: metadata dict, None (not NTP) or _MORE."""
    cdef unsigned int ver = (d[0] >> 3) & 7, mode = d[0] & 7, count, items, size, stratum, poll
    cdef Py_ssize_t body
    if ver < 1 or ver > 4 or mode == 0:
        return None
    if mode == 6:
        # Control: op code byte, sequence, status, association id, offset, count.
        if n < 12:
            return _MORE
        count = (d[10] << 8) | d[11]
        body = 12 + ((count + 3) & ~3)
        # Header + padded data, optionally a MAC (key id + MD5/SHA-1 digest).
        if (n != body and n != body + 20 and n != body + 24) or count > 468 \
                or not (1 <= (d[1] & 0x1F) <= 12 or (d[1] & 0x1F) == 31):
            return None                   # opcodes 1-12 and 31 (unset trap) exist
        if n > body and (d[body] or d[body + 1]):
            return None                   # a MAC's key id: ntpd's keys are 1-65535
        if d[1] & 0x80:
            if d[9] & 3 or (d[1] & 0x40 and count):
                # A response's data offset steps in 4-byte units; an error response
                # (E bit) carries no data (ntpd's ctl_error).
                return None
        elif d[1] & 0x60 or d[4] or d[5] or d[8] or d[9]:
            return None                   # a request: no error/more bit, status 0, offset 0
        return {"version": ver, "mode": "control"}
    if mode == 7:
        # ntpdc: implementation 0/2/3, request code < 64, item count/size in range,
        # and a header (8 bytes) + items that fit the datagram.
        if n < 8:
            return _MORE
        items = ((d[4] << 8) | d[5]) & 0x0FFF
        size = ((d[6] << 8) | d[7]) & 0x0FFF
        if (d[2] != 0 and d[2] != 2 and d[2] != 3) or d[3] > 63 or 8 + <Py_ssize_t>(items * size) > n:
            return None
        return {"version": ver, "mode": "private"}
    if n < 48:
        return _MORE
    # 48 bytes, optionally followed by a MAC (key id + 16/20 byte digest) or RFC 7822
    # extension fields; either way a multiple of 4.
    if n > 48 and (n - 48) % 4:
        return None
    if (n > 72 and ver < 4) or n > 1024:
        return None                       # v1-v3 allow only a MAC after the header
    stratum = d[1]
    poll = d[2]
    if stratum > 16 and not (mode == 3 and stratum == 0):
        return None                       # 0 = kiss/unspecified, 16 = unsynchronised
    if 17 < poll < 0xF0 and poll != 0:
        return None                       # log2 seconds: small, rarely negative
    # Root delay and root dispersion are 16.16 fixed-point seconds: real clocks report
    # well under 256 s; random bytes would need two leading zero bytes by chance.
    if d[4] or d[8]:
        return None
    return {"version": ver, "mode": _NTP_MODES[mode], "stratum": stratum}


def ntp_probe(view, state):
    """ntp.probe: every datagram an NTP packet (client/server modes 0.9; control and
    private modes 0.5); metadata of the first."""
    cdef Py_ssize_t n
    cdef bytes b
    cdef object meta = None, r
    _verdicts()
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for u in dgs:
            if not u:
                continue
            b = u if type(u) is bytes else bytes(u)
            r = _ntp_parse(_buf(b, &n), n)
            if r is None:
                return _NO
            if r is _MORE:
                return _MORE
            if meta is None:
                meta = r
    if meta is None:
        return _MORE
    mode = meta["mode"]
    return _match("ntp", 0.5 if mode == "control" or mode == "private" else 0.9, meta)


# ------------------------------------------------------------------------------ DHCP
cdef object _dhcp_types = None          # dhcp.TYPES


def dhcp_probe(view, state):
    """dhcp.probe: the first datagram decides -- BOOTREQUEST/REPLY, hlen <= 16, the
    magic cookie; metadata from options 53 (message type), 12 (hostname) and 60
    (vendor class)."""
    global _dhcp_types
    cdef Py_ssize_t n, pos, ln, vl
    cdef uint8_t t
    cdef bytes b
    cdef const uint8_t* d
    cdef dict meta
    _verdicts()
    if _dhcp_types is None:
        from . import dhcp
        _dhcp_types = dhcp.TYPES
        if dhcp.COOKIE != b"\x63\x82\x53\x63":
            raise ValueError("dhcp.COOKIE changed: update _fast_probes.pxi")
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        d = _buf(b, &n)
        if d[0] != 1 and d[0] != 2:
            return _NO                    # op is BOOTREQUEST (1) or BOOTREPLY (2)
        if n < 240:
            return _MORE
        if d[2] > 16 or d[236] != 0x63 or d[237] != 0x82 or d[238] != 0x53 or d[239] != 0x63:
            return _NO                    # plain BOOTP without cookie is not reported
        meta = {}
        pos = 240
        while pos < n:
            t = d[pos]
            if t == 0xFF:
                break
            if t == 0:
                pos += 1
                continue
            if pos + 2 > n:
                break
            ln = d[pos + 1]
            vl = min(ln, n - pos - 2)     # the option's value, cut at the datagram's end
            if t == 53 and ln == 1:
                if vl < 1:
                    raise IndexError("index out of range")    # v[0], as the original
                name = _dhcp_types.get(d[pos + 2])
                meta["message_type"] = str(d[pos + 2]) if name is None else name
            elif t == 12:
                meta["hostname"] = _dec(d + pos + 2, vl)
            elif t == 60:
                meta["vendor_class"] = _dec(d + pos + 2, vl)
            pos += 2 + ln
        return _match("dhcp", 1.0, meta)
    return _MORE


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
    cdef Result r
    _verdicts()
    r = http_probe(view, state)
    cdef int ms = view.midstream
    cdef Py_ssize_t k
    cdef bytes b
    cdef list parts
    cdef dict meta
    if not ms or r.verdict == _MATCH:
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
    if r2.verdict != _MATCH:
        return r
    meta = dict(r2.metadata)
    meta["midstream"] = True
    return _match("http", min(0.7, r2.confidence), meta)
