# SLP (v1/v2 header) parser and probe, compiled.
# Included by _fast.pyx (one extension); slp.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()
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
    return _claim("slp", 1.0, meta)
