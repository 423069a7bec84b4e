# BER TLV (X.690), compiled: _ber.tlv's reader for the compiled probes (kerberos.pxi).
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef int _ber_tlv(const uint8_t* d, Py_ssize_t n, Py_ssize_t pos, Py_ssize_t* t) noexcept:
    """_ber.tlv: 1 with (tag, value_start, value_end) in t, 0 (invalid) or 2 (MORE)."""
    cdef Py_ssize_t ln, k, j
    if pos + 2 > n:
        return 2
    t[0] = d[pos]
    if d[pos] & 0x1F == 0x1F:
        return 0                         # high tag numbers are not used by these protocols
    ln = d[pos + 1]
    pos += 2
    if ln & 0x80:
        k = ln & 0x7F
        if k == 0 or k > 4:
            return 0                     # indefinite length is forbidden in DER/LDAP
        if pos + k > n:
            return 2
        ln = 0
        for j in range(k):
            ln = (ln << 8) | d[pos + j]
        pos += k
    t[1] = pos
    t[2] = pos + ln
    return 1
