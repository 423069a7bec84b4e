# WireGuard probe, compiled.
# Included by _fast.pyx (one extension); wireguard.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()
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
        return _claim("wireguard", 1.0, {"messages": messages})
    # Transport data only (capture began after the handshake): the 3-zero-byte header
    # and 16-byte alignment in several packets is still distinctive.
    if count >= 3:
        return _claim("wireguard", 0.7, {"messages": messages})
    return _MORE
