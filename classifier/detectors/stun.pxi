# STUN/TURN message walk and probe, compiled.
# Included by _fast.pyx (one extension); stun.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


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
    _outcomes()


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
        return _claim("stun", 0.9 if bad == 0 else 0.7, found)
    if more:
        return _MORE
    return _NO
