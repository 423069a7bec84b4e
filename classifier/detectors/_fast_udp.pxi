# Compiled probes of small binary protocols probed on most UDP flows: slp (SLPv1/v2
# header) and stun (STUN/TURN message walk).  slp.py and stun.py export them; their
# pure-Python originals are the test oracles in tests/detectors/reference_parsers.py.


# ------------------------------------------------------------------------------- SLP
cdef object _slp_funcs = None          # slp.FUNCS


cdef inline bint _slp_letter(uint8_t c) noexcept:
    return c == 0x2D or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


cdef object _slp_parse(const uint8_t* m, Py_ssize_t n):
    """slp.parse: metadata dict, None (not SLP) or _MORE."""
    cdef Py_ssize_t ln, tl, k
    if m[0] != 1 and m[0] != 2:
        return None
    if n < 12:
        return _MORE
    func = _slp_funcs.get(m[1])
    if func is None or (m[0] == 1 and m[1] == 11):
        return None
    if m[0] == 2:
        ln = (m[2] << 16) | (m[3] << 8) | m[4]
        if ln != n or ((m[5] << 8) | m[6]) & 0x1FFF:
            return None                    # reserved flag bits are zero
        tl = ((m[12] << 8) | m[13]) if n >= 14 else 0
        if not 1 <= tl <= 64:
            return None
        if tl > n - 14:
            tl = n - 14
        for k in range(tl):
            if not _slp_letter(m[14 + k]):
                return None                # RFC 1766 language tag: letters and dashes
        return {"version": 2, "function": func, "lang": _dec(m + 14, tl)}
    ln = (m[2] << 8) | m[3]
    # bytes.isalpha(): ASCII letters only
    if ln != n or m[5] != 0 or not ((0x41 <= m[6] <= 0x5A or 0x61 <= m[6] <= 0x7A)
                                    and (0x41 <= m[7] <= 0x5A or 0x61 <= m[7] <= 0x7A)):
        return None                        # dialect 0, ISO 639 two-letter language
    return {"version": 1, "function": func, "lang": _dec(m + 6, 2)}


def slp_parse(m):
    global _slp_funcs
    cdef Py_ssize_t n
    cdef bytes b = m if type(m) is bytes else bytes(m)
    cdef const uint8_t* p = _buf(b, &n)
    if n == 0:
        raise IndexError("index out of range")
    if _slp_funcs is None:
        from . import slp
        _slp_funcs = slp.FUNCS
    _verdicts()
    return _slp_parse(p, n)


def slp_probe(view, state):
    """slp.probe: the first two datagrams of each side (UDP) or each direction's bytes
    (TCP) must all be SLP messages; metadata from the first."""
    cdef Py_ssize_t n
    cdef const uint8_t* p
    if view.transport == UDP:
        units = list(view.datagrams_c2s[:2]) + list(view.datagrams_s2c[:2])
    else:
        units = [view.payload_c2s, view.payload_s2c]
    meta = None
    for u in units:
        if not u:
            continue
        r = slp_parse(u)
        if r is None:
            return _NO
        if r is _MORE:
            return _MORE
        if meta is None:
            meta = r
    if meta is None:
        return _MORE
    return _match("slp", 1.0, meta)


# ------------------------------------------------------------------------------ STUN
cdef object _stun_methods = None       # stun.METHODS
cdef tuple _STUN_CLASSES = ("request", "indication", "success", "error")


cdef inline bint _stun_cookie(const uint8_t* p) noexcept:
    return p[0] == 0x21 and p[1] == 0x12 and p[2] == 0xA4 and p[3] == 0x42


cdef object _stun_parse(const uint8_t* m, Py_ssize_t n, bint exact):
    """stun.parse: metadata dict, None or _MORE."""
    cdef unsigned int t, ln, method, at, al
    cdef Py_ssize_t pos, end
    cdef bint modern
    cdef dict meta
    if n < 20:
        if m[0] & 0xC0:
            return None
        return _MORE
    t = (m[0] << 8) | m[1]
    ln = (m[2] << 8) | m[3]
    if t & 0xC000:
        return None                     # the two top bits of a STUN type are zero
    modern = _stun_cookie(m + 4)
    if ln % 4 and not modern:
        return None                     # attributes are 4-aligned (RFC 5389 15)
    method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
    if not modern and not exact:
        return None                     # STUN over TCP exists only with the RFC 5389 cookie
    if not modern and (method != 1 or t not in (0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112)):
        # Without the cookie only the RFC 3489 binding/shared-secret types exist.
        return None
    name = _stun_methods.get(method)
    if name is None and not modern:
        return None
    if 20 + ln > n:
        return None if exact else _MORE
    if exact and 20 + ln != n:
        return None                     # a datagram carries exactly one STUN message
    pos = 20
    end = 20 + ln
    if ln % 4:
        pos = end                       # cookie and exact length, unpadded attributes
    meta = {"method": name if name is not None else f"0x{method:03x}",
            "class": _STUN_CLASSES[((t >> 4) & 1) | ((t >> 7) & 2)]}
    while pos + 4 <= end:
        at = (m[pos] << 8) | m[pos + 1]
        al = (m[pos + 2] << 8) | m[pos + 3]
        if pos + 4 + al > end:
            return _MORE if modern else None
        if at == 0x8022:
            meta["software"] = _dec(m + pos + 4, al)
        elif at == 0x0006:
            meta["username"] = _dec(m + pos + 4, al)
        pos += 4 + ((al + 3) & ~3)
    if pos != end:
        return _MORE if modern else None
    return meta


cdef inline void _stun_init():
    global _stun_methods
    if _stun_methods is None:
        from . import stun
        _stun_methods = stun.METHODS
    _verdicts()


def stun_parse(msg, exact=True):
    cdef Py_ssize_t n
    cdef bytes b = msg if type(msg) is bytes else bytes(msg)
    cdef const uint8_t* p = _buf(b, &n)
    if n == 0:
        raise IndexError("index out of range")
    _stun_init()
    return _stun_parse(p, n, exact)


def stun_probe(view, state):
    """stun.probe: every datagram (UDP, first four per side) or direction (TCP, with
    RFC 4571 framing unwrapped) is parsed; one STUN message makes the match."""
    cdef Py_ssize_t n, bad = 0
    cdef const uint8_t* p
    cdef bint more = False, exact
    cdef bytes d
    _stun_init()
    found = None
    if view.transport == UDP:
        units = list(view.datagrams_c2s[:4]) + list(view.datagrams_s2c[:4])
        exact = True
    else:
        units = [view.payload_c2s, view.payload_s2c]
        exact = False
    for u in units:
        if not u:
            continue
        d = u if type(u) is bytes else bytes(u)
        p = _buf(d, &n)
        if not exact and n >= 24 and ((p[0] << 8) | p[1]) == 20 + ((p[4] << 8) | p[5]) \
                and _stun_cookie(p + 6):
            # RFC 4571 framing (a 2-byte length before each message), used by ICE-TCP
            # and some TURN-over-TCP stacks: unwrap when the length agrees with STUN's.
            p += 2
            n -= 2
        r = _stun_parse(p, n, exact)
        if r is _MORE:
            more = True
        elif r is None:
            bad += 1
        elif found is None:
            found = r
    if found is not None:
        return _match("stun", 0.9 if bad == 0 else 0.7, found)
    if more:
        return _MORE
    return _NO


# ------------------------------------------------------------------------- SmallChat
cdef inline bint _sc_type(const uint8_t* p) noexcept:
    """One of smallchat.TYPES: HLO ACK LEV MSG BAD CNF."""
    if p[0] == 0x48:
        return p[1] == 0x4C and p[2] == 0x4F           # HLO
    if p[0] == 0x41:
        return p[1] == 0x43 and p[2] == 0x4B           # ACK
    if p[0] == 0x4C:
        return p[1] == 0x45 and p[2] == 0x56           # LEV
    if p[0] == 0x4D:
        return p[1] == 0x53 and p[2] == 0x47           # MSG
    if p[0] == 0x42:
        return p[1] == 0x41 and p[2] == 0x44           # BAD
    if p[0] == 0x43:
        return p[1] == 0x4E and p[2] == 0x46           # CNF
    return False


def smallchat_offsets(dg, Py_ssize_t max_offset=24):
    """smallchat._offsets: the offsets (at most max_offset) of a type token standing
    alone, not inside a longer upper-case word."""
    cdef Py_ssize_t n, i, end
    cdef bytes b = dg if type(dg) is bytes else bytes(dg)
    cdef const uint8_t* p = _buf(b, &n)
    cdef set out = set()
    end = min(n, max_offset + 3) - 3
    for i in range(end + 1):
        if _sc_type(p + i):
            if not (i and 65 <= p[i - 1] <= 90) and not (i + 3 < n and 65 <= p[i + 3] <= 90):
                out.add(i)
    return out


# ------------------------------------------------------------------------------- IKE
cdef object _ike_v1 = None, _ike_v2 = None    # ike.EXCH_V1, ike.EXCH_V2


cdef object _ike_parse(const uint8_t* d, Py_ssize_t n):
    """ike.parse: metadata dict, None or _MORE."""
    cdef Py_ssize_t k
    cdef unsigned int np_, ver, ex, ln
    if n > 4 and d[0] == 0 and d[1] == 0 and d[2] == 0 and d[3] == 0:
        d += 4                            # NAT-T non-ESP marker
        n -= 4
    if n < 28:
        return _MORE if n > 1 else None
    for k in range(8):
        if d[k]:
            break
    else:
        return None                       # the initiator SPI is never zero
    np_, ver, ex = d[16], d[17], d[18]
    # Unsigned before the shift: a byte >= 0x80 shifted into int's sign bit is undefined.
    ln = (<uint32_t>d[24] << 24) | (<uint32_t>d[25] << 16) | (<uint32_t>d[26] << 8) | d[27]
    if ln != n:
        return None
    if ver == 0x10 and np_ <= 20:
        name = _ike_v1.get(ex)
        if name is not None:
            return {"ike_version": 1, "exchange": name}
    if ver == 0x20 and (np_ == 0 or 33 <= np_ <= 53):
        name = _ike_v2.get(ex)
        if name is not None:
            return {"ike_version": 2, "exchange": name}
    return None


cdef inline void _ike_init():
    global _ike_v1, _ike_v2
    if _ike_v1 is None:
        from . import ike
        _ike_v1, _ike_v2 = ike.EXCH_V1, ike.EXCH_V2
    _verdicts()


def ike_parse(dg):
    cdef Py_ssize_t n
    cdef bytes b = dg if type(dg) is bytes else bytes(dg)
    cdef const uint8_t* p = _buf(b, &n)
    _ike_init()
    return _ike_parse(p, n)


def ike_probe(view, state):
    """ike.probe: every datagram but NAT-T keepalives parsed; one IKE header makes the
    match, two datagrams without any make a NO (ESP-in-UDP follows the exchange)."""
    cdef Py_ssize_t n, others = 0
    cdef const uint8_t* p
    cdef bytes d
    _ike_init()
    meta = None
    for u in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not u:
            continue
        d = u if type(u) is bytes else bytes(u)
        p = _buf(d, &n)
        if n == 1 and p[0] == 0xFF:
            continue                       # NAT-T keepalive
        r = _ike_parse(p, n)
        if r is _MORE:
            return _MORE
        if r is None:
            others += 1
            continue
        if meta is None:
            meta = r
    if meta is not None:
        return _match("ike", 1.0, meta)
    # One odd datagram may be an unparsed extension; two without any IKE header is not IKE.
    return _NO if others >= 2 else _MORE


# ------------------------------------------------------------------------------- RTP
cdef struct RtpHdr:
    unsigned int pt, seq
    uint32_t ssrc


cdef inline bint _rtp_hdr(const uint8_t* d, Py_ssize_t n, RtpHdr* h) noexcept:
    """rtp._hdr: a version-2 header whose payload type is not RTCP's, CSRCs included."""
    cdef unsigned int pt
    if n < 12 or d[0] >> 6 != 2:
        return False
    pt = d[1] & 0x7F
    if 72 <= pt <= 76:
        return False                      # these payload types collide with RTCP
    if 12 + 4 * (d[0] & 0x0F) > n:
        return False
    h.pt = pt
    h.seq = (d[2] << 8) | d[3]
    h.ssrc = (<uint32_t>d[8] << 24) | (d[9] << 16) | (d[10] << 8) | d[11]
    return True


def rtp_probe(view, state):
    """rtp.probe: per direction, consecutive headers of the first six datagrams with one
    SSRC and payload type and small sequence steps; STUN/DTLS datagrams skipped."""
    cdef RtpHdr hs[6]
    cdef RtpHdr best, single
    cdef bint has_best = False, has_single = False, pending = False, stun_seen = False
    cdef Py_ssize_t skipped = 0, nh, n, k
    cdef unsigned int step
    cdef const uint8_t* p
    cdef bytes d
    best.pt = best.seq = best.ssrc = single.pt = single.seq = single.ssrc = 0
    _verdicts()
    c2s, s2c = view.datagrams_c2s, view.datagrams_s2c
    for u in list(c2s) + list(s2c):
        if u:
            d = u if type(u) is bytes else bytes(u)
            p = _buf(d, &n)
            if (p[0] == 0 or p[0] == 1) and n >= 8 and _stun_cookie(p + 4):
                stun_seen = True
                break
    for dgs in (c2s, s2c):
        nh = 0
        for u in dgs[:6]:
            if not u:
                continue
            d = u if type(u) is bytes else bytes(u)
            p = _buf(d, &n)
            if n >= 8 and p[0] >> 6 == 2 and 192 <= p[1] <= 223:
                # RTCP multiplexed on the RTP 5-tuple (RFC 5761 4: packet types 192-223
                # are what RTP payload types 64-95 with the marker bit would be): skip.
                skipped += 1
                continue
            if not _rtp_hdr(p, n, &hs[nh]):
                # STUN/DTLS interleave with media on WebRTC 5-tuples (RFC 7983): skip
                # them, but anything else than those breaks the RTP pattern.
                if p[0] < 4 or 20 <= p[0] <= 63:
                    skipped += 1
                    continue
                return _NO
            nh += 1
        if nh == 1:
            pending = True
            if not has_single:
                single = hs[0]
                has_single = True
        for k in range(nh - 1):
            step = (hs[k + 1].seq - hs[k].seq) & 0xFFFF
            if hs[k].ssrc == hs[k + 1].ssrc and hs[k].pt == hs[k + 1].pt and 0 < step <= 16:
                if not has_best:
                    best = hs[k]
                    has_best = True
            elif hs[k].ssrc != hs[k + 1].ssrc:
                return _NO                # a new SSRC every packet: not a stream
            elif step == 0:
                pending = True            # a duplicated packet (capture artefact): wait
    if has_best:
        return _match("rtp", 0.8, {"payload_type": best.pt, "ssrc": f"{best.ssrc:08x}"})
    if has_single and stun_seen:
        # After an ICE STUN exchange, a version-2 header with a non-RTCP payload type
        # is media by RFC 7983's demultiplexing rule.
        return _match("rtp", 0.75, {"payload_type": single.pt, "ssrc": f"{single.ssrc:08x}"})
    # Only STUN/DTLS so far (an ICE exchange): media may follow.
    return _MORE if pending or skipped or not (c2s or s2c) else _NO


# --------------------------------------------------------------------------- OpenVPN
cdef inline bint _ovpn_client_reset(unsigned int op) noexcept:   # openvpn.RESET_CLIENT
    return op == 1 or op == 7 or op == 10


cdef inline bint _ovpn_server_reset(unsigned int op) noexcept:   # openvpn.RESET_SERVER
    return op == 2 or op == 8


cdef inline bint _ovpn_zero4(const uint8_t* p, Py_ssize_t avail) noexcept:
    """p[0:4] == b"\\0\\0\\0\\0" with only ``avail`` bytes left (a short slice differs)."""
    return avail >= 4 and p[0] == 0 and p[1] == 0 and p[2] == 0 and p[3] == 0


cdef int _ovpn_reset(const uint8_t* p, Py_ssize_t n, Py_ssize_t layout, bint client) noexcept:
    """openvpn._reset: 1 when the ack array parses at ``layout``, else 0."""
    cdef Py_ssize_t pos = 9 + layout
    if pos >= n:
        return 0
    if client:
        # The client's first reset acknowledges nothing and is message-packet-id 0.
        return p[pos] == 0 and _ovpn_zero4(p + pos + 1, n - pos - 1)
    if p[pos] != 1 or n < pos + 1 + 4 + 8 + 4:
        return 0
    return _ovpn_zero4(p + pos + 1, n - pos - 1)


cdef tuple _OVPN_LAYOUTS = (0, 28, 40, 72)   # openvpn.HMAC_LAYOUTS


def openvpn_probe(view, state):
    """openvpn.probe: the client's hard reset, answered by the server's reset that
    acknowledges the client's session id (or, with tls-crypt, two plausible and close
    timestamps)."""
    cdef Py_ssize_t n, cn = 0, sn = 0, layout
    cdef const uint8_t* cp
    cdef const uint8_t* sp
    cdef unsigned int tc, ts
    cdef bytes fc, fs
    _verdicts()
    if view.transport == UDP:
        # An empty datagram carries no header: skipped, so that one sent first cannot
        # hide the resets behind it (it used to raise IndexError: an evasion).
        c = [d for d in view.datagrams_c2s if d][:2]
        s = [d for d in view.datagrams_s2c if d][:2]
    else:
        packets = []
        for data in (view.payload_c2s, view.payload_s2c):
            pk = []
            if data:
                if len(data) < 2:
                    return _MORE                # the length prefix itself is incomplete
                n = (data[0] << 8) | data[1]
                if n < 14 or n > 1600:
                    pk.append(None)             # control packets are 14..1600 bytes
                elif len(data) < 2 + n:
                    return _MORE                # first packet still arriving
                else:
                    pk.append(data[2:2 + n])
            packets.append(pk)
        c, s = packets
    if None in c or None in s:
        return _NO
    if not c and not s:
        return _MORE
    first_c = c[0] if c else None
    first_s = s[0] if s else None
    if first_c is not None and len(first_c) < 14:
        return _MORE if first_c and _ovpn_client_reset(first_c[0] >> 3) else _NO
    if first_c is None or not _ovpn_client_reset(first_c[0] >> 3):
        return _NO
    fc = first_c if type(first_c) is bytes else bytes(first_c)
    cp = _buf(fc, &cn)
    for layout in _OVPN_LAYOUTS:
        if not _ovpn_reset(cp, cn, layout, True):
            continue
        if first_s is None:
            return _MORE
        if _ovpn_server_reset(first_s[0] >> 3):
            fs = first_s if type(first_s) is bytes else bytes(first_s)
            sp = _buf(fs, &sn)
            # The server acknowledges the client's own 8-byte session id: certain.
            if _ovpn_reset(sp, sn, layout, False) and \
                    memcmp(sp + 9 + layout + 5, cp + 1, 8) == 0:
                return _match("openvpn", 1.0, {"opcode": cp[0] >> 3, "hmac_size": layout})
    if first_s is None:
        return _MORE
    # tls-crypt encrypts the ack array; what stays clear is opcode, session id, packet
    # id and a Unix timestamp (offset 13).  Both resets carry a plausible time, and
    # nearly the same one: random bytes almost never do.
    if first_s and _ovpn_server_reset(first_s[0] >> 3) and 40 <= cn <= 400 \
            and len(first_s) >= 17:
        fs = first_s if type(first_s) is bytes else bytes(first_s)
        sp = _buf(fs, &sn)
        tc = (<unsigned int>cp[13] << 24) | (cp[14] << 16) | (cp[15] << 8) | cp[16]
        ts = (<unsigned int>sp[13] << 24) | (sp[14] << 16) | (sp[15] << 8) | sp[16]
        if 1104537600 <= tc <= 2208988800 and abs(<long long>tc - <long long>ts) <= 2 * 86400:
            return _match("openvpn", 0.8, {"opcode": cp[0] >> 3, "tls_crypt": True})
    return _NO


# ------------------------------------------------------------------------------ QUIC
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
    _verdicts()
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
    return _match("quic", 1.0 if initials or (seen0 and seen1) else 0.8, meta)


# ------------------------------------------------------------------------ BitTorrent
cdef object _bt_krpc = None              # bittorrent._KRPC
cdef bytes _BT_HANDSHAKE = b"\x13BitTorrent protocol"


cdef inline object _bt_hex(const uint8_t* p) :
    return PyBytes_FromStringAndSize(<const char*>p, 20).hex()


cdef object _bt_tcp(view):
    """bittorrent._tcp: the peer handshake, at the start or after MSE's keys."""
    cdef Py_ssize_t n, i
    cdef const uint8_t* p
    cdef const uint8_t* q
    cdef bytes d
    cdef bint more = False
    for data in (view.payload_c2s, view.payload_s2c):
        d = data if type(data) is bytes else bytes(data)
        p = _buf(d, &n)
        # Message Stream Encryption that settles on plaintext puts the clear handshake
        # after the DH keys and padding: the magic anywhere but offset 0.
        q = <const uint8_t*>memmem(p + 1, n - 1, <const char*>_BT_HANDSHAKE, 20) if n > 1 else NULL
        if q != NULL:
            i = q - p
            return _match("bittorrent", 0.95, {"transport_kind": "tcp-mse", "info_hash": _bt_hex(p + i + 28)}
                          if n >= i + 48 else {"transport_kind": "tcp-mse"})
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        d = data if type(data) is bytes else bytes(data)
        p = _buf(d, &n)
        if n >= 20 and memcmp(p, <const char*>_BT_HANDSHAKE, 20) == 0:
            return _match("bittorrent", 1.0, {"transport_kind": "tcp", "info_hash": _bt_hex(p + 28)}
                          if n >= 48 else {"transport_kind": "tcp"})
        more = True                        # maybe MSE: keys and padding come first
    if more and min(len(view.payload_c2s), len(view.payload_s2c)) >= 1024:
        # MSE's keys and padding take at most 608 bytes per side.
        return _NO
    return _MORE if more else _NO


cdef inline int _bt_utp(const uint8_t* p, Py_ssize_t n) noexcept:
    """bittorrent._utp: the connection id of a uTP header, or -1."""
    if n < 20 or (p[0] & 0x0F) != 1 or p[0] >> 4 > 4 or p[1] > 3:
        return -1
    return (p[2] << 8) | p[3]


cdef object _bt_udp(view):
    """bittorrent._udp: a DHT KRPC dictionary, or uTP headers sharing a connection id."""
    cdef Py_ssize_t n, on
    cdef const uint8_t* p
    cdef const uint8_t* op
    cdef int cid, oc
    cdef bytes first, od
    # Empty datagrams carry no header: skipped (one sent first used to raise).
    c, s = [d for d in view.datagrams_c2s if d][:4], [d for d in view.datagrams_s2c if d][:4]
    if not c and not s:
        return _MORE
    f = (c or s)[0]
    first = f if type(f) is bytes else bytes(f)
    p = _buf(first, &n)
    if n and p[0] == 0x64:                 # "d": a bencoded dictionary
        # KRPC messages are dictionaries with a 't' transaction and 'y' type key.
        if p[n - 1] == 0x65 and (memmem(p, n, b"1:y1:", 5) != NULL or _bt_krpc.match(first) is not None):
            return _match("bittorrent", 0.95, {"transport_kind": "dht"})
        return _NO if p[n - 1] == 0x65 or n > 64 else _MORE
    cid = _bt_utp(p, n)
    if cid < 0:
        # A uTP header is 20 bytes; a shorter prefix with a valid type/version byte and
        # extension byte may still become one.
        if n < 20 and (p[0] & 0x0F) == 1 and p[0] >> 4 <= 4 and (n < 2 or p[1] <= 3):
            return _MORE
        return _NO
    # uTP: the SYN (type 4) carries connection id X, the peer answers with X as well;
    # data packets use X+1 one way, X the other.
    if p[0] == 0x41 and n == 20 and (p[1] == 0 or p[1] == 2) and not s:
        return _MORE
    other = s or c[1:]
    for dg in other:
        od = dg if type(dg) is bytes else bytes(dg)
        op = _buf(od, &on)
        oc = _bt_utp(op, on)
        if oc >= 0 and abs(oc - cid) <= 1:
            return _match("bittorrent", 0.9, {"transport_kind": "utp"})
    return _NO if other else _MORE


def bittorrent_probe(view, state):
    global _bt_krpc
    _verdicts()
    if _bt_krpc is None:
        from . import bittorrent
        _bt_krpc = bittorrent._KRPC
    return _bt_tcp(view) if view.transport == TCP else _bt_udp(view)


# ------------------------------------------------------------------------- memcached
cdef object _mc_text = None, _mc_binary = None     # memcached._text, memcached._binary


def memcached_probe(view, state):
    """memcached.probe's dispatch, compiled: the UDP frame header (request id, sequence
    0, datagram count >= 1, reserved 0) is checked here; the text and binary protocols
    are judged by memcached._text / _binary."""
    global _mc_text, _mc_binary
    cdef Py_ssize_t n
    cdef const uint8_t* p
    cdef bytes dg
    _verdicts()
    if _mc_text is None:
        from . import memcached
        _mc_text, _mc_binary = memcached._text, memcached._binary
    if view.transport == UDP:
        dgs = view.datagrams_c2s
        if not dgs:
            return _MORE
        d0 = dgs[0]
        dg = d0 if type(d0) is bytes else bytes(d0)
        p = _buf(dg, &n)
        if n < 8:
            return _MORE
        if p[2] != 0 or p[3] != 0 or (p[4] == 0 and p[5] == 0) or p[6] != 0 or p[7] != 0:
            return _NO
        c = dg[8:]
        s = view.datagrams_s2c[0][8:] if view.datagrams_s2c else b""
    else:
        c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return _MORE
    if c[0] == 0x80:
        return _mc_binary(c, s)
    return _mc_text(c, s)
