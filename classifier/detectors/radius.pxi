# RADIUS parser and probe, compiled.
# Included by _fast.pyx (one extension); radius.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _radius_codes = None        # radius.CODES, imported on first use


cdef Py_ssize_t _radius_vsa_subs(const uint8_t* d, Py_ssize_t pos, Py_ssize_t end) noexcept:
    """The sub-attributes of a Vendor-Specific attribute's string d[pos:end] in RFC 2865
    5.26's recommended format (vendor type 1, vendor length 1 counting both, value),
    when they tile it exactly; else 0."""
    cdef Py_ssize_t count = 0, sl
    while pos < end:
        if pos + 2 > end:
            return 0
        sl = d[pos + 1]
        if sl < 2 or pos + sl > end:
            return 0
        count += 1
        pos += sl
    return count


cdef object _radius_parse(const uint8_t* d, Py_ssize_t n):
    """radius.parse: metadata dict, None (not RADIUS) or _MORE (too short to tell)."""
    cdef Py_ssize_t ln, pos = 20, alen, walked = 0
    cdef uint8_t t
    cdef dict meta
    code = _radius_codes.get(d[0])
    if code is None:
        return None
    if n < 20:
        return _MORE
    ln = (d[2] << 8) | d[3]
    # The length field covers the whole packet; extra bytes are allowed as padding by
    # the RFC but in practice length == datagram size, and requiring it kills chance hits.
    if ln < 20 or ln > 4096 or ln != n:
        return None
    if ln > 20 and (d[20] == 0 or d[21] < 2):
        return None                        # the first attribute must be well formed
    meta = {"code": code}
    while pos < ln:
        if pos + 2 > ln:
            break
        t = d[pos]
        alen = d[pos + 1]
        if alen < 2 or pos + alen > ln:
            # A damaged attribute list after a valid length and several good attributes
            # (seen in fuzzed and truncated captures): still RADIUS, less confident.
            # ("walked" counts the attributes and the sub-attributes of well-formed
            # Vendor-Specific ones, e.g. two VSAs of one sub-attribute each make 4.)
            if walked < 3:
                return None
            meta["malformed"] = True
            break
        walked += 1
        # A Vendor-Specific attribute (RFC 2865 5.26) whose Vendor-Id has the zero high
        # octet and whose vendor sub-attributes tile its string exactly is a walk of
        # its own: each sub-attribute counts as a good attribute (only the damaged-list
        # threshold below reads the count).
        if t == 26 and alen >= 8 and d[pos + 2] == 0:
            walked += _radius_vsa_subs(d, pos + 6, pos + alen)
        if t == 1:
            meta["user_name"] = _dec(d + pos + 2, alen - 2)
        pos += alen
    return meta


def radius_parse(dg):
    """radius.parse, for tests: metadata dict, None, or base.MORE."""
    global _radius_codes
    cdef Py_ssize_t n
    cdef bytes b = dg if type(dg) is bytes else bytes(dg)
    _outcomes()
    if _radius_codes is None:
        from . import radius
        _radius_codes = radius.CODES
    if len(b) == 0:
        raise IndexError("index out of range")      # dg[0], as the original
    return _radius_parse(_buf(b, &n), n)


def radius_probe(view, state):
    """radius.probe: every datagram a RADIUS packet whose length field is its size and
    whose attributes tile it; metadata of the first."""
    global _radius_codes
    cdef Py_ssize_t n
    cdef bytes b
    cdef object meta = None, r
    _outcomes()
    if _radius_codes is None:
        from . import radius
        _radius_codes = radius.CODES
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for u in dgs:
            if not u:
                continue
            b = u if type(u) is bytes else bytes(u)
            r = _radius_parse(_buf(b, &n), n)
            if r is None:
                return _NO
            if r is _MORE:
                return _MORE
            if meta is None:
                meta = r
    if meta is None:
        return _MORE
    # A damaged attribute list says little beyond the code and the length field (random
    # bytes walk several attributes): below a structure another detector checks whole,
    # e.g. collectd's encrypted part (0x0210 + its length, 0.6), whose header is exactly
    # a code-2 RADIUS header with identifier 0x10.
    return _claim("radius", 0.55 if "malformed" in meta else 0.95, meta)
