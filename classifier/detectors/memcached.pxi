# memcached probe, compiled.
# Included by _fast.pyx (one extension); memcached.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _mc_text = None, _mc_binary = None     # memcached._text, memcached._binary


def memcached_probe(view, state):
    """memcached.probe's dispatch, compiled: the UDP frame header (request id, sequence
    0, datagram count >= 1, reserved 0) is checked here; the text and binary protocols
    are judged by memcached._text / _binary."""
    global _mc_text, _mc_binary
    cdef Py_ssize_t n
    cdef const uint8_t* p
    cdef bytes dg
    _outcomes()
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
