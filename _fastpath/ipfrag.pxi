# IPv4 and IPv6 fragment reassembly with bounded memory.
#
# At most `frag_slots` datagrams are under reassembly at once, each in a 64 KiB
# buffer with one flag per 8-byte block. Overlaps are resolved "first arrival wins":
# bytes already held are never overwritten by a later fragment (the BSD-right /
# Windows behaviour differs; first-wins cannot be steered by a late overlapping
# fragment, and the conflict is counted in `frag_overlaps`). A datagram that is not
# complete within `frag_timeout`, or that is pushed out because every slot is busy
# (oldest first), is dropped and counted in `frag_dropped`.

cdef enum:
    FRAG_MAX = 65536
    FRAG_BLOCKS = FRAG_MAX // 8


cdef void frag_free_all(Core* c) noexcept nogil:
    cdef uint32_t i
    if c.frags != NULL:
        for i in range(c.cfg.frag_slots):
            free(c.frags[i].buf)
            free(c.frags[i].blk)
        free(c.frags)
        c.frags = NULL
    for i in range(MAX_DEPTH + 1):
        free(c.frag_out[i])
        c.frag_out[i] = NULL


cdef const uint8_t* frag_add(Core* c, uint8_t ver, const uint8_t* src, const uint8_t* dst,
                             uint32_t ident, uint8_t proto, uint32_t off, int more,
                             const uint8_t* data, uint32_t n, Pkt* p, int depth,
                             uint32_t* outlen) noexcept nogil:
    """Hold one fragment. Returns the whole datagram's payload when this fragment
    completes it (valid until the next packet), else NULL."""
    cdef uint32_t i, slot = NONE, oldest = NONE, alen = 16 if ver == 6 else 4
    cdef FragEnt* e
    cdef uint32_t b, b0, b1, nb, end, r
    cdef int overlap = 0
    cdef const uint8_t* q
    c.stats.frag_packets += 1
    if c.frags == NULL:
        c.frags = <FragEnt*>calloc(c.cfg.frag_slots, sizeof(FragEnt))
        if c.frags == NULL:
            c.oom = 1
            return NULL
    # Find the datagram, expiring stale ones on the way (the table is small).
    for i in range(c.cfg.frag_slots):
        e = &c.frags[i]
        if not e.used:
            if slot == NONE:
                slot = i
            continue
        if p.ts - e.ts_first > c.cfg.frag_timeout:
            e.used = 0
            c.stats.frag_dropped += 1
            if slot == NONE:
                slot = i
            continue
        if e.ident == ident and e.ipver == ver and memcmp(e.src, src, alen) == 0 \
                and memcmp(e.dst, dst, alen) == 0 and (ver == 6 or e.proto == proto):
            slot = i
            break
        if oldest == NONE or e.ts_first < c.frags[oldest].ts_first:
            oldest = i
    if slot == NONE:                                # every slot busy: drop the oldest datagram
        slot = oldest
        c.frags[slot].used = 0
        c.stats.frag_dropped += 1
    e = &c.frags[slot]
    if not e.used:
        if e.buf == NULL:
            e.buf = <uint8_t*>malloc(FRAG_MAX)
            e.blk = <uint8_t*>malloc(FRAG_BLOCKS)
            if e.buf == NULL or e.blk == NULL:
                c.oom = 1
                return NULL
            memset(e.blk, 0, FRAG_BLOCKS)
        else:
            memset(e.blk, 0, e.nblk)                # only the blocks the last user touched
        e.nblk = 0
        e.used = 1
        e.ipver = ver
        e.proto = proto
        e.have_last = 0
        e.total = 0
        e.wire = 0
        e.ident = ident
        e.ts_first = p.ts
        memcpy(e.src, src, alen)
        memcpy(e.dst, dst, alen)
    e.wire += p.wirelen
    end = off + n
    if end > FRAG_MAX or (more and (n & 7)) or (e.have_last and end > e.total) \
            or (not more and e.have_last and end != e.total):
        # Beyond 64 KiB (ping of death), a middle fragment not a multiple of 8, or
        # inconsistent with the last fragment: the datagram cannot be trusted.
        e.used = 0
        c.stats.frag_dropped += 1
        return NULL
    if not more:
        e.have_last = 1
        e.total = end
    b0 = off >> 3
    b1 = (end + 7) >> 3
    if b1 > e.nblk:
        e.nblk = b1
    # Copy each run of blocks not yet held in one go (offsets are multiples of 8); the
    # flag scans and marks go through memchr/memset, which take whole vectors at once.
    b = b0
    while b < b1:
        if e.blk[b]:
            overlap = 1                             # first arrival wins
            b += 1
            continue
        q = <const uint8_t*>memchr(e.blk + b, 1, b1 - b)
        r = <uint32_t>(q - e.blk) if q != NULL else b1
        memset(e.blk + b, 1, r - b)
        nb = (r * 8 if r * 8 < end else end) - b * 8
        memcpy(e.buf + b * 8, data + (b * 8 - off), nb)
        b = r
    if overlap:
        c.stats.frag_overlaps += 1
    if not e.have_last or memchr(e.blk, 0, (e.total + 7) >> 3) != NULL:
        return NULL
    # Complete: hand out a copy (the slot may be reused by a nested fragment).
    if c.frag_out[depth] == NULL:
        c.frag_out[depth] = <uint8_t*>malloc(FRAG_MAX)
        if c.frag_out[depth] == NULL:
            c.oom = 1
            return NULL
    memcpy(c.frag_out[depth], e.buf, e.total)
    e.used = 0
    c.stats.frag_reassembled += 1
    p.proto = e.proto
    p.wirelen = e.wire
    outlen[0] = e.total
    return c.frag_out[depth]
