# HTTP-syntax start line and headers, compiled: the one parser of http, http-proxy,
# rtsp, sip and ssdp (_httpmsg.py re-exports ``http_parse`` as parse and
# ``http_cached_parse`` as cached_parse), and the state the HTTP-syntax probes share
# (http.pxi, http_proxy.pxi, rtsp.pxi, sip.pxi).
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


HTTP_MORE = "more"                     # _httpmsg.MORE_NEEDED
cdef object _http_wanted = None        # _httpmsg.WANTED: imported on first use
                                       # (_httpmsg imports this module)


@cython.no_gc     # strings, an int and a dict of strings: never in a reference cycle
@cython.final
cdef class HttpMessage:
    """A parsed start line and the wanted headers (_httpmsg exports it as Message):
    kind "request" or "response", method, target, proto, version, status, headers."""
    cdef public object kind, method, target, proto, version, status, headers

    def __init__(self, kind, method, target, proto, version, status, headers):
        self.kind, self.method, self.target = kind, method, target
        self.proto, self.version, self.status, self.headers = proto, version, status, headers


cdef inline bint _upper(uint8_t c) noexcept:
    return 0x41 <= c <= 0x5A


cdef inline bint _token(uint8_t c) noexcept:        # [A-Z_-]
    return 0x41 <= c <= 0x5A or c == 0x5F or c == 0x2D


cdef inline bint _space(uint8_t c) noexcept:        # \s of a bytes pattern
    return c == 0x20 or 0x09 <= c <= 0x0D


cdef inline str _ascii(const uint8_t* p, Py_ssize_t n):
    return PyUnicode_DecodeLatin1(<const char*>p, n, NULL)


cdef bint _token_start(const uint8_t* p, Py_ssize_t n) noexcept:
    """re.match(rb"[A-Z][A-Z_-]{0,19}([ /]|$)", p[:n])"""
    cdef Py_ssize_t k = 1
    if n == 0 or not _upper(p[0]):
        return False
    while k < n and _token(p[k]):
        k += 1
    if k > 20:
        return False          # the 21st token character is neither ' ', '/' nor the end
    return k == n or p[k] == 0x20 or p[k] == 0x2F


cdef Py_ssize_t _proto_version(const uint8_t* p, Py_ssize_t pos, Py_ssize_t n) noexcept:
    """rb"[A-Z]{3,5}/\d\.\d" at pos: the position after it, or -1."""
    cdef Py_ssize_t k = pos
    while k < n and _upper(p[k]):
        k += 1
    if not 3 <= k - pos <= 5 or k + 4 > n:
        return -1
    if p[k] != 0x2F or not _digit(p[k + 1]) or p[k + 2] != 0x2E or not _digit(p[k + 3]):
        return -1
    return k + 4


def http_parse(data, Py_ssize_t max_line=8192):
    """A Message, None (not an HTTP-syntax start line) or HTTP_MORE."""
    global _http_wanted
    cdef bytes b = data if type(data) is bytes else bytes(data)
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t n = len(b), end, hn, k, L, m, t, v, e, le, pos, stop, colon, ks, ke, vs, ve
    cdef bint ok
    cdef const uint8_t* q
    cdef const uint8_t* q2
    cdef bint cut
    cdef dict headers
    cdef uint8_t low[16]
    end = -1
    q = <const uint8_t*>memchr(p, 0x0A, min(n, max_line))
    if q != NULL:
        end = q - p
    if end < 0:
        hn = min(n, 64)
        # Keep waiting only while the bytes still look like the start of a start line.
        if n >= max_line or (not _token_start(p, hn) and hn >= 21):
            return None
        if hn == 0 or not _upper(p[0]):
            return None                    # methods and version tokens are upper-case
        for k in range(hn):
            if p[k] < 0x20 and p[k] != 9 and p[k] != 13:
                return None                # start lines are text
        return HTTP_MORE
    if _http_wanted is None:
        from . import _httpmsg
        _http_wanted = _httpmsg.WANTED
    L = end
    while L > 0 and p[L - 1] == 0x0D:
        L -= 1
    # Request line: METHOD SP target SP PROTO/d.d, read on whitespace boundaries as RFC
    # 9112 3 allows (runs of SP/HTAB between the parts, trailing SP/HTAB, spaces inside
    # the target, which nginx accepts), or a version-less HTTP/0.9 "GET /path" (RFC 1945
    # 4.1, still sent by scanners):
    #   rb"([A-Z][A-Z_-]{1,19})[ \t]+(\S+(?: +\S+)*)[ \t]+([A-Z]{3,5})/(\d)\.(\d)[ \t]*$"
    #   rb"(GET)[ \t]+(/\S*)[ \t]*$"  (proto HTTP, version 0.9)
    msg = None
    m = 0
    if L > 0 and _upper(p[0]):
        m = 1
        while m < L and _token(p[m]):
            m += 1
        if 2 <= m <= 20 and m < L and (p[m] == 0x20 or p[m] == 0x09):
            t = m
            while t < L and (p[t] == 0x20 or p[t] == 0x09):
                t += 1                     # the target's first byte
            le = L
            while le > t and (p[le - 1] == 0x20 or p[le - 1] == 0x09):
                le -= 1                    # the line without trailing blanks
            v = le
            while v > t and p[v - 1] != 0x20 and p[v - 1] != 0x09:
                v -= 1                     # the last word: the version, if any
            if v > t and _proto_version(p, v, le) == le:
                e = v
                while e > t and (p[e - 1] == 0x20 or p[e - 1] == 0x09):
                    e -= 1                 # the target's end
                ok = 1 <= e - t <= 8000
                if ok:
                    for k in range(t, e):
                        if _space(p[k]) and p[k] != 0x20:
                            ok = False     # only spaces inside a target
                            break
                if ok:
                    msg = HttpMessage("request", _ascii(p, m), _ascii(p + t, e - t),
                                      _ascii(p + v, le - 4 - v),
                                      f"{chr(p[le - 3])}.{chr(p[le - 1])}", None, {})
            elif v == t and m == 3 and p[0] == 0x47 and p[1] == 0x45 and p[2] == 0x54 \
                    and t < le and p[t] == 0x2F and le - t <= 8000:
                # One word after GET, no version: HTTP/0.9's Simple-Request.
                ok = True
                for k in range(t, le):
                    if _space(p[k]):
                        ok = False
                        break
                if ok:
                    msg = HttpMessage("request", "GET", _ascii(p + t, le - t), "HTTP", "0.9",
                                      None, {})
    if msg is None:
        # Status line: PROTO/d.d SP ddd [SP anything]  -- rb"([A-Z]{3,5})/(\d)\.(\d) (\d{3})(?: .*)?$"
        e = _proto_version(p, 0, L)
        if e < 0 or e + 4 > L or p[e] != 0x20 or not (_digit(p[e + 1]) and _digit(p[e + 2])
                                                      and _digit(p[e + 3])):
            return None                    # neither a request line nor a status line
        if e + 4 < L and p[e + 4] != 0x20:
            return None
        msg = HttpMessage("response", None, None, _ascii(p, e - 4),
                            f"{chr(p[e - 3])}.{chr(p[e - 1])}",
                            (p[e + 1] - 0x30) * 100 + (p[e + 2] - 0x30) * 10 + (p[e + 3] - 0x30), {})
    # Headers: read the complete lines; a header block cut by the budget is fine.
    pos = end + 1
    stop = n
    q = <const uint8_t*>memmem(p + pos, n - pos, b"\r\n\r\n", 4) if pos < n else NULL
    cut = q == NULL
    if not cut:
        stop = q - p
    headers = msg.headers
    while True:
        q = <const uint8_t*>memchr(p + pos, 0x0A, stop - pos) if pos < stop else NULL
        if q == NULL:
            if cut:
                break                      # the last piece may be a cut line
            ke = stop                      # the last line of a complete block
        else:
            ke = q - p
        # One line: p[pos:ke]
        colon = -1
        q2 = <const uint8_t*>memchr(p + pos, 0x3A, ke - pos) if pos < ke else NULL
        if q2 == NULL:
            for k in range(pos, ke):
                if not _space(p[k]):
                    break
            else:
                break                      # an empty line ends the headers
            # a line without a colon: skipped
        else:
            colon = q2 - p
            if colon - pos <= 10:          # the longest wanted name is 10 bytes
                for k in range(colon - pos):
                    low[k] = p[pos + k] | 0x20 if _upper(p[pos + k]) else p[pos + k]
                key = PyBytes_FromStringAndSize(<char*>low, colon - pos)
                if key in _http_wanted:
                    name = key.decode()
                    if name not in headers:
                        vs = colon + 1
                        ve = ke
                        while vs < ve and _space(p[vs]):
                            vs += 1
                        while ve > vs and _space(p[ve - 1]):
                            ve -= 1
                        headers[name] = PyUnicode_DecodeLatin1(<const char*>p + vs, min(ve - vs, 256), NULL)
        if q == NULL:
            break
        pos = ke + 1
    return msg


def http_cached_parse(dict state, data):
    """http_parse memoised in the flow's shared state: the five HTTP-syntax detectors
    read the same bytes, so they share one parse (the entry keeps data alive, so its
    id cannot be reused while cached)."""
    cdef dict cache = state.get("_httpmsg")
    if cache is None:
        cache = state["_httpmsg"] = {}
    k = id(data)
    hit = cache.get(k)
    if hit is None:
        hit = cache[k] = (data, http_parse(data))
    return (<tuple>hit)[1]

# -------------------------------------------- shared by the HTTP-syntax probes


cdef object _http_methods = None, _sip_methods = None    # http.METHODS, sip.METHODS


cdef inline void _httpp_init():
    global _http_methods, _sip_methods
    _outcomes()
    if _sip_methods is None:
        from . import http, sip
        _http_methods, _sip_methods = http.METHODS, sip.METHODS


cdef inline dict _no_none(dict meta):
    """base.claim's rule: metadata values that are None are dropped."""
    return {k: v for k, v in meta.items() if v is not None}
