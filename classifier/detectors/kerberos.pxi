# Kerberos probe, compiled.
# Included by _fast.pyx (one extension); kerberos.py exports it.
# Uses _wire_ber.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()
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
    return _claim("kerberos", 1.0, {"msg_type": _krb_apps[first]})
