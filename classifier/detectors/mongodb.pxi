# MongoDB wire-protocol probe, compiled.
# Included by _fast.pyx (one extension); mongodb.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()
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
        return _claim("mongodb", 1.0, {"op": _mongo_ops[hc[3]]})
    # Request alone: only OP_MSG/OP_QUERY with a fitting length are convincing.
    if (hc[3] == 2004 or hc[3] == 2013) and hc[0] == len(c):
        return _claim("mongodb", 0.8, {"op": _mongo_ops[hc[3]]})
    return _MORE
