# OpenVPN probe, compiled.
# Included by _fast.pyx (one extension); openvpn.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()
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
                return _claim("openvpn", 1.0, {"opcode": cp[0] >> 3, "hmac_size": layout})
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
            return _claim("openvpn", 0.8, {"opcode": cp[0] >> 3, "tls_crypt": True})
    return _NO
