# IKE parser and probe, compiled.
# Included by _fast.pyx (one extension); ike.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()


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
        return _claim("ike", 1.0, meta)
    # One odd datagram may be an unparsed extension; two without any IKE header is not IKE.
    return _NO if others >= 2 else _MORE
