# Shared byte readers of the compiled probes (included first by _fast.pyx): a bytes
# object's pointer and length, latin-1 metadata strings, big-endian integers, ASCII
# digits, memmem.


cdef extern from "string.h":
    void* memmem(const void* haystack, size_t hlen, const void* needle, size_t nlen)


cdef inline object _dec(const uint8_t* p, Py_ssize_t n):
    """base.dec: bytes to a metadata string, latin-1, at most 256 characters."""
    return PyUnicode_DecodeLatin1(<const char*>p, n if n < 256 else 256, NULL)


cdef inline const uint8_t* _buf(object b, Py_ssize_t* n) except NULL:
    """Pointer and length of a bytes object (what every view holds)."""
    n[0] = len(b)
    return <const uint8_t*>PyBytes_AS_STRING(b)


cdef inline unsigned int _u16(const uint8_t* p) noexcept:
    return (p[0] << 8) | p[1]


cdef inline unsigned int _u24(const uint8_t* p) noexcept:
    return (p[0] << 16) | (p[1] << 8) | p[2]


cdef inline unsigned int _u16_cut(const uint8_t* p, Py_ssize_t avail) noexcept:
    """int.from_bytes(b[i:i + 2], "big") when only ``avail`` bytes are left at i."""
    if avail >= 2:
        return (p[0] << 8) | p[1]
    if avail == 1:
        return p[0]
    return 0


cdef inline bint _digit(uint8_t c) noexcept:
    return 0x30 <= c <= 0x39
