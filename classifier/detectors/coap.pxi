# CoAP probe, compiled.
# Included by _fast.pyx (one extension); coap.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
        raise ValueError("coap tables changed: update coap.pxi")
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
    cdef Py_ssize_t n, count = 0, k, nc
    cdef int r, p0_class = 0
    cdef int code0[2]
    cdef bint echo
    cdef CoapInfo info, first
    cdef bytes b
    cdef const uint8_t* p
    cdef list path = None
    cdef dict meta
    _outcomes()
    if not _coap_ready:
        _coap_init()
    # code0[d]: the code byte of direction d's first message when it is more than a
    # header (-1: none), to tell a request and its answer from one header repeated.
    code0[0] = code0[1] = -1
    units = list(view.datagrams_c2s) + list(view.datagrams_s2c)
    nc = len(view.datagrams_c2s)
    for k in range(len(units)):
        dg = units[k]
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        p = _buf(b, &n)
        if n > 4 and code0[0 if k < nc else 1] == -1:
            code0[0 if k < nc else 1] = p[1]
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
    # Two messages are a request and its answer only if they can be: each side's first
    # non-empty message with the same code byte (a request's class is 0, an answer's
    # 2-5) is one header seen twice -- e.g. another protocol's constant first bytes
    # (an AFS Rx epoch) -- and counts as one.
    echo = code0[0] >= 0 and code0[0] == code0[1]
    if (count < 2 or echo) and not ((p0_class == 0 and not first.unknown and first.uri_text)
                          or (first.texts >= 2 and first.longest >= 3
                              and first.unknown <= first.texts)):
        return _MORE
    # (An empty Uri-Path is reported, but is no evidence.)
    return _claim("coap", 0.95 if meta.get("uri_path") or (count >= 2 and not echo) else 0.7, meta)
