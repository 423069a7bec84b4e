# Line helpers of the text protocols' banners and commands (ftp, smtp, pop3, imap),
# compiled: _banner.py re-exports ``banner_reply_lines`` and ``banner_commands``.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _banner_py_commands = None, _banner_py_reply_lines = None


cdef inline bint _ws(uint8_t c) noexcept:        # bytes.strip()'s whitespace
    return c == 0x20 or 0x09 <= c <= 0x0D


def banner_commands(data, Py_ssize_t limit=16):
    """_banner.commands: upper-cased first words of the complete lines of a client
    stream (a bytes stream; other buffers go to the pure-Python original)."""
    cdef Py_ssize_t n, pos = 0, nl, s, e, k, i
    cdef const uint8_t* p
    cdef const uint8_t* q
    cdef list out = []
    cdef bytes w
    cdef char* o
    cdef uint8_t c
    if type(data) is not bytes:
        return _banner_fallback_commands(data, limit)
    p = _buf(data, &n)
    for i in range(limit):
        q = <const uint8_t*>memchr(p + pos, 0x0A, n - pos) if pos < n else NULL
        if q == NULL:
            break
        nl = q - p
        # The first word: up to the first space, then stripped of whitespace.
        e = pos
        while e < nl and p[e] != 0x20:
            e += 1
        s = pos
        while s < e and _ws(p[s]):
            s += 1
        while e > s and _ws(p[e - 1]):
            e -= 1
        w = PyBytes_FromStringAndSize(NULL, e - s)
        o = PyBytes_AS_STRING(w)
        for k in range(e - s):
            c = p[s + k]
            o[k] = <char>(c - 0x20 if 0x61 <= c <= 0x7A else c)
        out.append(w)
        pos = nl + 1
    return out


def banner_reply_lines(data, Py_ssize_t limit=8):
    """_banner.reply_lines: the complete lines 'NNN text' / 'NNN-text' (FTP/SMTP
    replies, NNN 100-599) up to the first that is not one: (code, sep, text)."""
    cdef Py_ssize_t n, pos = 0, nl, e, i
    cdef const uint8_t* p
    cdef const uint8_t* q
    cdef list out = []
    if type(data) is not bytes:
        return _banner_fallback_reply_lines(data, limit)
    p = _buf(data, &n)
    for i in range(limit):
        q = <const uint8_t*>memchr(p + pos, 0x0A, n - pos) if pos < n else NULL
        if q == NULL:
            break
        nl = q - p
        e = nl
        while e > pos and p[e - 1] == 0x0D:
            e -= 1                           # rstrip(b"\r")
        # rb"([1-5]\d\d)([ -])(.*)$"
        if e - pos < 4 or not (0x31 <= p[pos] <= 0x35 and _digit(p[pos + 1]) and _digit(p[pos + 2])
                               and (p[pos + 3] == 0x20 or p[pos + 3] == 0x2D)):
            break
        out.append(((p[pos] - 0x30) * 100 + (p[pos + 1] - 0x30) * 10 + (p[pos + 2] - 0x30),
                    b" " if p[pos + 3] == 0x20 else b"-",
                    PyBytes_FromStringAndSize(<const char*>p + pos + 4, e - pos - 4)))
        pos = nl + 1
    return out


cdef object _banner_fallback_commands(data, Py_ssize_t limit):
    global _banner_py_commands
    if _banner_py_commands is None:
        from . import _banner
        _banner_py_commands = _banner._commands_py
    return _banner_py_commands(data, limit)


cdef object _banner_fallback_reply_lines(data, Py_ssize_t limit):
    global _banner_py_reply_lines
    if _banner_py_reply_lines is None:
        from . import _banner
        _banner_py_reply_lines = _banner._reply_lines_py
    return _banner_py_reply_lines(data, limit)
