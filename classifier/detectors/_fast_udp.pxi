# Compiled probes of small binary protocols probed on most UDP flows: slp (SLPv1/v2
# header) and stun (STUN/TURN message walk).  slp.py and stun.py export them; their
# pure-Python originals are the test oracles in tests/detectors/reference_parsers.py.


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


