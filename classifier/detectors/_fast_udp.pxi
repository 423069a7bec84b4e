# Compiled probes of small binary protocols probed on most UDP flows: slp (SLPv1/v2
# header) and stun (STUN/TURN message walk).  slp.py and stun.py export them; their
# pure-Python originals are the test oracles in tests/detectors/reference_parsers.py.

cdef inline object _dec(const uint8_t* p, Py_ssize_t n):
    """base.dec: bytes to a metadata string, latin-1, at most 256 characters."""
    return PyUnicode_DecodeLatin1(<const char*>p, n if n < 256 else 256, NULL)


cdef inline const uint8_t* _buf(object b, Py_ssize_t* n) except NULL:
    """Pointer and length of a bytes object (what every view holds)."""
    n[0] = len(b)
    return <const uint8_t*>PyBytes_AS_STRING(b)


# ------------------------------------------------------------------------------- SLP
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
    _verdicts()
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
    return _match("slp", 1.0, meta)


# ------------------------------------------------------------------------------ STUN
cdef object _stun_methods = None       # stun.METHODS
cdef tuple _STUN_CLASSES = ("request", "indication", "success", "error")


cdef inline bint _stun_cookie(const uint8_t* p) noexcept:
    return p[0] == 0x21 and p[1] == 0x12 and p[2] == 0xA4 and p[3] == 0x42


cdef object _stun_parse(const uint8_t* m, Py_ssize_t n, bint exact):
    """stun.parse: metadata dict, None or _MORE."""
    cdef unsigned int t, ln, method, at, al
    cdef Py_ssize_t pos, end
    cdef bint modern
    cdef dict meta
    if n < 20:
        if m[0] & 0xC0:
            return None
        return _MORE
    t = (m[0] << 8) | m[1]
    ln = (m[2] << 8) | m[3]
    if t & 0xC000:
        return None                     # the two top bits of a STUN type are zero
    modern = _stun_cookie(m + 4)
    if ln % 4 and not modern:
        return None                     # attributes are 4-aligned (RFC 5389 15)
    method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
    if not modern and not exact:
        return None                     # STUN over TCP exists only with the RFC 5389 cookie
    if not modern and (method != 1 or t not in (0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112)):
        # Without the cookie only the RFC 3489 binding/shared-secret types exist.
        return None
    name = _stun_methods.get(method)
    if name is None and not modern:
        return None
    if 20 + ln > n:
        return None if exact else _MORE
    if exact and 20 + ln != n:
        return None                     # a datagram carries exactly one STUN message
    pos = 20
    end = 20 + ln
    if ln % 4:
        pos = end                       # cookie and exact length, unpadded attributes
    meta = {"method": name if name is not None else f"0x{method:03x}",
            "class": _STUN_CLASSES[((t >> 4) & 1) | ((t >> 7) & 2)]}
    while pos + 4 <= end:
        at = (m[pos] << 8) | m[pos + 1]
        al = (m[pos + 2] << 8) | m[pos + 3]
        if pos + 4 + al > end:
            return _MORE if modern else None
        if at == 0x8022:
            meta["software"] = _dec(m + pos + 4, al)
        elif at == 0x0006:
            meta["username"] = _dec(m + pos + 4, al)
        pos += 4 + ((al + 3) & ~3)
    if pos != end:
        return _MORE if modern else None
    return meta


cdef inline void _stun_init():
    global _stun_methods
    if _stun_methods is None:
        from . import stun
        _stun_methods = stun.METHODS
    _verdicts()


def stun_parse(msg, exact=True):
    cdef Py_ssize_t n
    cdef bytes b = msg if type(msg) is bytes else bytes(msg)
    cdef const uint8_t* p = _buf(b, &n)
    if n == 0:
        raise IndexError("index out of range")
    _stun_init()
    return _stun_parse(p, n, exact)


def stun_probe(view, state):
    """stun.probe: every datagram (UDP, first four per side) or direction (TCP, with
    RFC 4571 framing unwrapped) is parsed; one STUN message makes the match."""
    cdef Py_ssize_t n, bad = 0
    cdef const uint8_t* p
    cdef bint more = False, exact
    cdef bytes d
    _stun_init()
    found = None
    if view.transport == UDP:
        units = list(view.datagrams_c2s[:4]) + list(view.datagrams_s2c[:4])
        exact = True
    else:
        units = [view.payload_c2s, view.payload_s2c]
        exact = False
    for u in units:
        if not u:
            continue
        d = u if type(u) is bytes else bytes(u)
        p = _buf(d, &n)
        if not exact and n >= 24 and ((p[0] << 8) | p[1]) == 20 + ((p[4] << 8) | p[5]) \
                and _stun_cookie(p + 6):
            # RFC 4571 framing (a 2-byte length before each message), used by ICE-TCP
            # and some TURN-over-TCP stacks: unwrap when the length agrees with STUN's.
            p += 2
            n -= 2
        r = _stun_parse(p, n, exact)
        if r is _MORE:
            more = True
        elif r is None:
            bad += 1
        elif found is None:
            found = r
    if found is not None:
        return _match("stun", 0.9 if bad == 0 else 0.7, found)
    if more:
        return _MORE
    return _NO
