# SmallChat type-token scan and probe, compiled.
# Included by _fast.pyx (one extension); smallchat.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef inline bint _sc_type(const uint8_t* p) noexcept:
    """One of smallchat.TYPES: HLO ACK LEV MSG BAD CNF."""
    if p[0] == 0x48:
        return p[1] == 0x4C and p[2] == 0x4F           # HLO
    if p[0] == 0x41:
        return p[1] == 0x43 and p[2] == 0x4B           # ACK
    if p[0] == 0x4C:
        return p[1] == 0x45 and p[2] == 0x56           # LEV
    if p[0] == 0x4D:
        return p[1] == 0x53 and p[2] == 0x47           # MSG
    if p[0] == 0x42:
        return p[1] == 0x41 and p[2] == 0x44           # BAD
    if p[0] == 0x43:
        return p[1] == 0x4E and p[2] == 0x46           # CNF
    return False


def smallchat_offsets(dg, Py_ssize_t max_offset=24):
    """smallchat._offsets: the offsets (at most max_offset) of a type token standing
    alone, not inside a longer upper-case word."""
    cdef Py_ssize_t n, i, end
    cdef bytes b = dg if type(dg) is bytes else bytes(dg)
    cdef const uint8_t* p = _buf(b, &n)
    cdef set out = set()
    end = min(n, max_offset + 3) - 3
    for i in range(end + 1):
        if _sc_type(p + i):
            if not (i and 65 <= p[i - 1] <= 90) and not (i + 3 < n and 65 <= p[i + 3] <= 90):
                out.add(i)
    return out


cdef uint32_t _sc_mask(const uint8_t* p, Py_ssize_t n) noexcept:
    """smallchat_offsets(dg, MAX_OFFSET=24) as a bit mask (bit i: offset i)."""
    cdef Py_ssize_t i, end
    cdef uint32_t out = 0
    end = min(n, 24 + 3) - 3
    for i in range(end + 1):
        if _sc_type(p + i):
            if not (i and 65 <= p[i - 1] <= 90) and not (i + 3 < n and 65 <= p[i + 3] <= 90):
                out |= (<uint32_t>1) << i
    return out


def smallchat_probe(view, state):
    """smallchat.probe: every datagram carries a type token (HLO ACK LEV MSG BAD CNF) at
    one common offset (at most 24), behind the same chat id."""
    cdef Py_ssize_t n, k
    cdef uint32_t common = 0xFFFFFFFF, m
    cdef bytes b
    _outcomes()
    dgs = [d for d in list(view.datagrams_c2s[:4]) + list(view.datagrams_s2c[:4]) if d]
    if not dgs:
        return _MORE
    for dg in dgs:
        b = dg if type(dg) is bytes else bytes(dg)
        m = _sc_mask(_buf(b, &n), n)
        if not m:
            # Cut by the byte budget before the type field could appear: wait.
            return _NO if n >= 24 + 3 else _MORE
        common &= m
        if not common:
            return _NO                     # the type sits at one fixed offset
    k = 0
    while not (common >> k) & 1:
        k += 1
    ids = {dg[:k] for dg in dgs} if k else {dg[3:11] for dg in dgs}
    types = sorted({dg[k:k + 3].decode() for dg in dgs})
    d0 = dgs[0]
    if len(dgs) >= 2:
        if k and len(ids) != 1:
            return _NO                     # one flow = one chat: the ID never changes
        return _claim("smallchat", 0.9, {"types": types, "chat_id": (d0[:k] or d0[3:11]).hex()})
    # One datagram is not enough: a three-letter token within the first 27 bytes turns
    # up in random datagrams a few times per million; a second one at the same offset
    # behind the same id does not.
    return _MORE
