# The bidirectional flow table, per-flow accounting, TCP prefix reassembly, UDP
# datagram capture, expiry and export of finished flows.
#
# Table: open addressing with linear probing over `slots` (load <= 1/2), each slot
# holding the upper hash bits and a flow index, so a probe rarely touches a flow that
# is not the one sought. Flows live in a slab (`flows`) that grows by doubling; their
# indices never change, so expiry lists link by index. Deletion shifts the probe run
# back (no tombstones), so lookups stay short however long the capture.
#
# Orientation: the SYN sender is the client (the SYN-ACK receiver when only that is
# seen). Without either, the sender of the first packet seen is the client. Ports are
# never used to guess it: that would let a port change a detector's view of a flow.

cdef enum:
    SWEEP_NS = 1000000000       # expiry lists are swept once per second of capture time
    SMALL_BUF = 256             # first payload buffer of a direction: most exchanges fit
    POOL_KEEP = 1024            # recycled payload buffers kept per size class ...
    ARENA_FIRST = (1 << 20) + (128 << 10)   # a batch's payload buffer: the default batch
                                            # limit (1 MiB) plus one flow, so it rarely grows
    POOL_BYTES = 8 << 20        # ... and at most this many bytes of full-budget ones
    EV_WAYS = 4                 # evicted keys: entries per set (the oldest is replaced)

cdef extern from * nogil:
    """
    #define PL_LIKELY(x) __builtin_expect(!!(x), 1)
    #define PL_UNLIKELY(x) __builtin_expect(!!(x), 0)
    """
    bint PL_LIKELY(bint)
    bint PL_UNLIKELY(bint)

cdef inline uint64_t load64(const uint8_t* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v

cdef inline uint64_t ep_hash(const uint8_t* a, uint16_t port) noexcept nogil:
    # One multiply per endpoint; the port enters before it, so (A:1, B:2) and
    # (A:2, B:1) still differ after the endpoints are summed.
    return ((load64(a) ^ (load64(a + 8) * 0x9E3779B97F4A7C15ULL)) ^ port) * 0xBF58476D1CE4E5B9ULL

cdef inline uint64_t flow_hash(Pkt* p) noexcept nogil:
    # Symmetric: both directions of a flow hash alike (the endpoint terms are added),
    # without ordering the tuple first; one full mix at the end spreads every bit.
    cdef uint64_t x = (ep_hash(p.src, p.sport) + ep_hash(p.dst, p.dport)
                       ^ (<uint64_t>p.proto << 56) ^ (<uint64_t>(p.vlan + 1) << 40))
    # One more multiply with xor-shifts either side: the endpoint terms are already
    # products, so this spreads the high bits into the low ones the slot index uses.
    x ^= x >> 32
    x *= 0xD6E8FEB86659FD93ULL
    return x ^ (x >> 29)


cdef inline uint32_t shard_of(Pkt* p, uint32_t n) noexcept nogil:
    # The shard of a packet for parallel workers reading one capture (FlowConfig.shard):
    # from the unordered pair of addresses only (inner ones after decapsulation; the
    # datagram's after reassembly), so both directions, every fragment and tunnel of a
    # flow, and also an FTP control connection and the data connections it announces
    # (same two hosts, other ports: linked in pipeline.Analyzer) fall in one shard.
    # Ports, protocol and VLAN are left out on purpose for the FTP case.
    cdef uint64_t x = ep_hash(p.src, 0) + ep_hash(p.dst, 0)
    x ^= x >> 32
    x *= 0xD6E8FEB86659FD93ULL
    x ^= x >> 29
    # The high half, scaled into [0, n): independent of the low bits the slot index uses.
    return <uint32_t>(((x >> 32) * n) >> 32)


cdef void shard_skip(Core* c, Pkt* p) noexcept nogil:
    """A packet of another shard: only its share of the clock, exactly as flow_packet
    would take it, so that the sweeps (which end idle flows, and so decide between the
    end reasons idle and eof) run at the same capture times as in a reader keeping
    every flow. No lookup, no flow state."""
    c.stats.shard_skipped += 1
    if PL_UNLIKELY(p.ts < c.now):
        c.stats.ts_backwards += 1
    else:
        c.now = p.ts
    if c.now >= c.next_sweep:
        expire(c, c.now)
        c.next_sweep = c.now + SWEEP_NS


cdef inline int addr_eq(const uint8_t* a, const uint8_t* b) noexcept nogil:
    return load64(a) == load64(b) and load64(a + 8) == load64(b + 8)


# ---------------------------------------------------------------- allocation

cdef int table_init(Core* c) noexcept nogil:
    cdef uint32_t i
    c.fcap = 1024 if c.cfg.max_flows > 1024 else c.cfg.max_flows
    c.flows = <Flow*>malloc(c.fcap * sizeof(Flow))
    c.freel = <uint32_t*>malloc(c.fcap * sizeof(uint32_t))
    c.smask = 2 * 1024 * 2 - 1
    while c.smask + 1 < 2 * c.fcap:
        c.smask = c.smask * 2 + 1
    c.slots = <uint64_t*>calloc(c.smask + 1, sizeof(uint64_t))
    c.reccap = 256
    c.recs = <FlowRec*>malloc(c.reccap * sizeof(FlowRec))
    c.acap = ARENA_FIRST
    c.arena = <uint8_t*>malloc(c.acap)
    # As many evicted keys as live flows at the cap (~4.5 MiB at 65,536), EV_WAYS per set,
    # allocated at the first eviction (ev_remember): most captures never reach the cap,
    # and zeroing 4.5 MiB for every reader was a cost of its own (many small captures).
    c.evmask = 1
    while (c.evmask + 1) * EV_WAYS < c.cfg.max_flows:
        c.evmask = c.evmask * 2 + 1
    c.ev = NULL
    c.pool_small = <uint8_t**>malloc(POOL_KEEP * sizeof(uint8_t*))
    c.pool_big = <uint8_t**>malloc(POOL_KEEP * sizeof(uint8_t*))
    c.npool_small = 0
    c.npool_big = 0
    if c.flows == NULL or c.freel == NULL or c.slots == NULL or c.recs == NULL or c.arena == NULL \
            or c.pool_small == NULL or c.pool_big == NULL:
        return -1
    c.nfree = c.fcap
    for i in range(c.fcap):
        c.freel[i] = c.fcap - 1 - i                 # pop order 0, 1, 2, ...
        c.flows[i].live = 0
    for i in range(NLISTS):
        c.head[i] = NONE
        c.tail[i] = NONE
    c.last = NONE
    return 0


cdef void table_free(Core* c) noexcept nogil:
    cdef uint32_t i
    if c.flows != NULL:
        for i in range(c.fcap):
            if c.flows[i].live:
                free(c.flows[i].st[0].buf)
                free(c.flows[i].st[1].buf)
        free(c.flows)
        c.flows = NULL
    free(c.freel)
    c.freel = NULL
    free(c.slots)
    c.slots = NULL
    free(c.ev)
    c.ev = NULL
    free(c.recs)
    c.recs = NULL
    free(c.arena)
    c.arena = NULL
    if c.pool_small != NULL:
        for i in range(c.npool_small):
            free(c.pool_small[i])
        free(c.pool_small)
        c.pool_small = NULL
    if c.pool_big != NULL:
        for i in range(c.npool_big):
            free(c.pool_big[i])
        free(c.pool_big)
        c.pool_big = NULL
    c.npool_small = 0
    c.npool_big = 0


cdef int slab_grow(Core* c) noexcept nogil:
    """Double the flow slab (up to max_flows) and, when needed, the slot array."""
    cdef uint32_t ncap = c.fcap * 2, i, j
    cdef Flow* nf
    cdef uint32_t* nl
    cdef uint64_t* ns
    cdef uint32_t nmask
    cdef uint64_t h
    if ncap > c.cfg.max_flows:
        ncap = c.cfg.max_flows
    if ncap <= c.fcap:
        return -1
    nf = <Flow*>realloc(c.flows, ncap * sizeof(Flow))
    if nf == NULL:
        return -1
    c.flows = nf
    nl = <uint32_t*>realloc(c.freel, ncap * sizeof(uint32_t))
    if nl == NULL:
        return -1
    c.freel = nl
    for i in range(ncap - 1, c.fcap - 1, -1):
        c.flows[i].live = 0
        c.freel[c.nfree] = i
        c.nfree += 1
    c.fcap = ncap
    if c.smask + 1 >= 2 * ncap:
        return 0
    nmask = c.smask
    while nmask + 1 < 2 * ncap:
        nmask = nmask * 2 + 1
    ns = <uint64_t*>calloc(nmask + 1, sizeof(uint64_t))
    if ns == NULL:
        return -1
    for i in range(c.fcap):
        if c.flows[i].live:
            h = c.flows[i].hash
            j = <uint32_t>h & nmask
            while ns[j] != 0:
                j = (j + 1) & nmask
            ns[j] = ((h & 0xFFFFFFFFULL) << 32) | (<uint64_t>i + 1)
    free(c.slots)
    c.slots = ns
    c.smask = nmask
    return 0


# ---------------------------------------------------------------- expiry lists

cdef inline void list_unlink(Core* c, uint32_t i) noexcept nogil:
    cdef Flow* f = &c.flows[i]
    if f.prev != NONE:
        c.flows[f.prev].next = f.next
    else:
        c.head[f.list_id] = f.next
    if f.next != NONE:
        c.flows[f.next].prev = f.prev
    else:
        c.tail[f.list_id] = f.prev

cdef inline void list_append(Core* c, uint32_t i, uint8_t lid) noexcept nogil:
    cdef Flow* f = &c.flows[i]
    f.list_id = lid
    f.next = NONE
    f.prev = c.tail[lid]
    if c.tail[lid] != NONE:
        c.flows[c.tail[lid]].next = i
    else:
        c.head[lid] = i
    c.tail[lid] = i

cdef inline void list_touch(Core* c, uint32_t i, uint8_t lid) noexcept nogil:
    # Most packets belong to the flow already at the tail: nothing to move then.
    if c.flows[i].list_id == lid and c.tail[lid] == i:
        return
    list_unlink(c, i)
    list_append(c, i, lid)


# ---------------------------------------------------------------- export

cdef int arena_reserve(Core* c, uint64_t more) noexcept nogil:
    cdef uint64_t ncap = c.acap
    cdef uint8_t* na
    while c.alen + more > ncap:
        ncap *= 2
    if ncap != c.acap:
        na = <uint8_t*>realloc(c.arena, ncap)
        if na == NULL:
            c.oom = 1
            return -1
        c.arena = na
        c.acap = ncap
    return 0


cdef void flow_export(Core* c, Flow* f, uint8_t reason) noexcept nogil:
    cdef FlowRec* r
    cdef FlowRec* nr
    cdef uint32_t l0, l1
    cdef int k
    if f.proto == 6:
        for k in range(2):
            # The flow is over: a hole at a direction's start will not fill now, so the
            # bytes held after it are that direction's (mid-stream) beginning.
            if f.st[k].len == 0 and f.st[k].nooo:
                stream_resync(&f.st[k], f.st[k].ooo_lo[0])
            # A resync that no byte followed (the peer acknowledged a FIN) changed nothing.
            if f.st[k].len == 0 and (f.st[k].flags & SF_RESYNC):
                f.st[k].flags &= ~(SF_RESYNC | SF_MIDSTREAM)
    l0 = f.st[0].len
    l1 = f.st[1].len
    if c.nrec == c.reccap:
        nr = <FlowRec*>realloc(c.recs, c.reccap * 2 * sizeof(FlowRec))
        if nr == NULL:
            c.oom = 1
            return
        c.recs = nr
        c.reccap *= 2
    if arena_reserve(c, <uint64_t>l0 + l1) != 0:
        return
    r = &c.recs[c.nrec]
    c.nrec += 1
    r.ts_start = f.ts_first
    r.ts_end = f.ts_last
    r.pkts_c2s = f.pkts[0]
    r.pkts_s2c = f.pkts[1]
    r.bytes_c2s = f.bytes[0]
    r.bytes_s2c = f.bytes[1]
    r.pay_off = c.alen
    r.pay_len_c2s = l0
    r.pay_len_s2c = l1
    if l0:
        memcpy(c.arena + c.alen, f.st[0].buf, l0)
    if l1:
        memcpy(c.arena + c.alen + l0, f.st[1].buf, l1)
    c.alen += l0 + l1
    if c.nrec >= c.batch_recs or c.alen >= c.batch_bytes:
        c.full = 1
    r.vlan = f.vlan
    r.cport = f.cport
    r.sport = f.sport
    memcpy(r.cli, f.cli, 16)
    memcpy(r.srv, f.srv, 16)
    r.proto = f.proto
    r.ipver = f.ipver
    r.tunnel = f.tunnel
    r.end_reason = reason
    r.by_syn = f.by_syn
    r.tcpflags_c2s = f.tcpflags[0]
    r.tcpflags_s2c = f.tcpflags[1]
    r.npk = f.npk
    r.stream_flags_c2s = f.st[0].flags | (SF_GAP if f.st[0].nooo else 0)
    r.stream_flags_s2c = f.st[1].flags | (SF_GAP if f.st[1].nooo else 0)
    r.ndgram_c2s = f.st[0].ndgram
    r.ndgram_s2c = f.st[1].ndgram
    memcpy(r.dgram_len_c2s, f.st[0].dgram_len, sizeof(r.dgram_len_c2s))
    memcpy(r.dgram_len_s2c, f.st[1].dgram_len, sizeof(r.dgram_len_s2c))
    memcpy(r.pk_size, f.pk_size, sizeof(r.pk_size))
    memcpy(r.pk_dir, f.pk_dir, sizeof(r.pk_dir))
    memcpy(r.pk_iat, f.pk_iat, sizeof(r.pk_iat))


cdef void flow_end(Core* c, uint32_t i, uint8_t reason) noexcept nogil:
    """Export flow i and remove it from the table."""
    cdef Flow* f = &c.flows[i]
    cdef uint32_t j, k, ideal
    cdef uint64_t s
    flow_export(c, f, reason)
    if c.last == i:
        c.last = NONE
    c.stats.flows += 1
    if f.proto == 6:
        c.stats.flows_tcp += 1
    elif f.proto == 17:
        c.stats.flows_udp += 1
    else:
        c.stats.flows_other += 1
    if reason == END_IDLE:
        c.stats.end_idle += 1
    elif reason == END_ACTIVE:
        c.stats.end_active += 1
    elif reason == END_CLOSED:
        c.stats.end_closed += 1
    elif reason == END_EVICTED:
        c.stats.evicted += 1
    else:
        c.stats.end_eof += 1
    c.paymem -= f.st[0].cap + f.st[1].cap
    buf_put(c, f.st[0].buf, f.st[0].cap)
    buf_put(c, f.st[1].buf, f.st[1].cap)
    f.st[0].buf = NULL
    f.st[1].buf = NULL
    list_unlink(c, i)
    # Remove the slot, then shift the rest of the probe run back into the hole.
    j = <uint32_t>f.hash & c.smask
    while (c.slots[j] & 0xFFFFFFFFULL) != <uint64_t>i + 1:
        j = (j + 1) & c.smask
    k = j
    while True:
        k = (k + 1) & c.smask
        s = c.slots[k]
        if s == 0:
            break
        ideal = <uint32_t>(s >> 32) & c.smask          # the hash's low half, kept in the slot
        # Move slot k into the hole at j unless its ideal position lies in (j, k].
        if ((k - ideal) & c.smask) >= ((k - j) & c.smask):
            c.slots[j] = s
            j = k
    c.slots[j] = 0
    f.live = 0
    c.freel[c.nfree] = i
    c.nfree += 1
    c.nlive -= 1


cdef inline int64_t list_timeout(Core* c, int lid) noexcept nogil:
    return c.timeout[lid]


cdef inline void expire(Core* c, int64_t now) noexcept nogil:
    cdef int lid
    cdef uint32_t h
    cdef int64_t to
    for lid in range(NLISTS):
        to = list_timeout(c, lid)
        h = c.head[lid]
        while h != NONE and now - c.flows[h].touched > to:
            flow_end(c, h, END_CLOSED if lid == L_CLOSED else END_IDLE)
            h = c.head[lid]


cdef void ev_remember(Core* c, Flow* f) noexcept nogil:
    """Keep the key of flow f, about to be evicted, in its set: in an empty entry, or
    in place of the entry least recently touched. The keys' table is allocated here, at
    the first eviction; without memory for it the key is not kept (its flow's later
    packets then start a new flow, as before the table existed)."""
    cdef EvictedKey* e
    cdef EvictedKey* k
    cdef uint64_t h = f.hash if f.hash else 1      # 0 marks an empty entry
    cdef int w
    if c.ev == NULL:
        c.ev = <EvictedKey*>calloc((c.evmask + 1) * EV_WAYS, sizeof(EvictedKey))
        if c.ev == NULL:
            return
    e = &c.ev[(f.hash & c.evmask) * EV_WAYS]
    k = e
    for w in range(EV_WAYS):
        if e[w].hash == 0 or e[w].hash == h:       # empty, or this flow's older entry
            k = &e[w]
            break
        if e[w].touched < k.touched:
            k = &e[w]
    k.hash = h
    k.touched = f.touched
    memcpy(k.cli, f.cli, 16)
    memcpy(k.srv, f.srv, 16)
    k.cport = f.cport
    k.sport = f.sport
    k.vlan = f.vlan
    k.proto = f.proto


cdef bint ev_absorb(Core* c, Pkt* p, uint64_t h) noexcept nogil:
    """Packet p belongs to a flow evicted earlier, not idle since: count it there and
    return 1 (no new flow). The caller asks only while the table is at a cap."""
    cdef EvictedKey* k
    cdef int w
    if c.ev == NULL:
        return 0                    # nothing evicted yet
    k = &c.ev[(h & c.evmask) * EV_WAYS]
    if h == 0:
        h = 1
    for w in range(EV_WAYS):
        if k.hash == h and k.proto == p.proto and k.vlan == p.vlan and (
                (k.cport == p.sport and k.sport == p.dport and addr_eq(k.cli, p.src) and addr_eq(k.srv, p.dst))
                or (k.cport == p.dport and k.sport == p.sport and addr_eq(k.cli, p.dst) and addr_eq(k.srv, p.src))):
            # Idle past its timeout, or a new connection (a SYN) on the same tuple: the
            # flow is over, and this packet starts a new one.
            if c.now - k.touched > list_timeout(c, <int>L_TCP if p.proto == 6 else <int>L_UDP) \
                    or (p.proto == 6 and (p.tcp_flags & 0x12) == 0x02):
                k.hash = 0
                return 0
            k.touched = c.now
            c.stats.evicted_packets += 1
            c.stats.evicted_bytes += p.wirelen
            return 1
        k += 1
    return 0


cdef inline bint table_at_cap(Core* c) noexcept nogil:
    """A new flow would push out another one: the slab is full at max_flows, or the
    payload buffers are at their cap."""
    return (c.nfree == 0 and c.fcap >= c.cfg.max_flows) \
        or c.paymem + SMALL_BUF > c.cfg.max_payload_mem


cdef int evict_one(Core* c, uint32_t keep) noexcept nogil:
    """End the least recently active flow other than `keep`, remembering its key
    (ev_remember). Returns -1 if none."""
    cdef int lid
    cdef uint32_t best = NONE, h
    for lid in range(NLISTS):
        h = c.head[lid]
        if h == keep and h != NONE:
            h = c.flows[h].next
        if h != NONE and (best == NONE or c.flows[h].touched < c.flows[best].touched):
            best = h
    if best == NONE:
        return -1
    ev_remember(c, &c.flows[best])
    flow_end(c, best, END_EVICTED)
    return 0


# ---------------------------------------------------------------- payload

cdef inline uint8_t* buf_get(Core* c, uint32_t size) noexcept nogil:
    """A payload buffer of `size` bytes (SMALL_BUF or the budget), recycled if one is free."""
    if size == SMALL_BUF and c.npool_small:
        c.npool_small -= 1
        return c.pool_small[c.npool_small]
    if size == c.cfg.payload_bytes and c.npool_big:
        c.npool_big -= 1
        return c.pool_big[c.npool_big]
    return <uint8_t*>malloc(size)


cdef inline void buf_put(Core* c, uint8_t* b, uint32_t size) noexcept nogil:
    """Give a payload buffer back: to its size class's stack, or to free() when full."""
    if b == NULL:
        return
    if size == SMALL_BUF and c.npool_small < POOL_KEEP and size != c.cfg.payload_bytes:
        c.pool_small[c.npool_small] = b
        c.npool_small += 1
    elif size == c.cfg.payload_bytes and c.npool_big < POOL_KEEP \
            and (<uint64_t>c.npool_big + 1) * size <= POOL_BYTES:
        c.pool_big[c.npool_big] = b
        c.npool_big += 1
    else:
        free(b)


cdef inline int stream_reserve(Core* c, Stream* st, uint32_t need, uint32_t keep) noexcept nogil:
    """Make st.buf hold at least `need` bytes (need <= payload_bytes)."""
    if need <= st.cap:
        return 0
    return stream_grow(c, st, need, keep)


cdef int stream_grow(Core* c, Stream* st, uint32_t need, uint32_t keep) noexcept nogil:
    cdef uint32_t ncap
    cdef uint8_t* nb
    # Small first (DNS, NTP and most short exchanges stay under 256 bytes); a direction
    # that outgrows that goes straight to the full budget, so a long prefix is never
    # copied while it grows.
    ncap = SMALL_BUF if (st.cap == 0 and need <= SMALL_BUF) else c.cfg.payload_bytes
    if ncap > c.cfg.payload_bytes:
        ncap = c.cfg.payload_bytes
    while c.paymem + (ncap - st.cap) > c.cfg.max_payload_mem:
        if evict_one(c, keep) != 0:
            return -1
    nb = buf_get(c, ncap)
    if nb == NULL:
        c.oom = 1
        return -1
    if st.cap:
        # Everything held moves, out-of-order ranges beyond `len` included.
        memcpy(nb, st.buf, st.cap if st.cap < ncap else ncap)
    buf_put(c, st.buf, st.cap)
    c.paymem += ncap - st.cap
    st.buf = nb
    st.cap = ncap
    return 0


cdef void stream_resync(Stream* st, uint32_t start) noexcept nogil:
    """Give up on the hole at the start of a direction (st.len == 0): stream offset
    `start` becomes offset 0, the ranges held from there move down with it (one memmove
    of at most the byte budget), and the range now at 0 is the in-order prefix.  The
    direction is marked SF_MIDSTREAM | SF_RESYNC: its bytes begin at a segment boundary
    after lost ones, so a detector must find its own footing in them.

    Called when the hole cannot fill (the gap rule): the peer acknowledged bytes past
    it (ack_seen: the capture lost them, no retransmission will come), a segment fell
    beyond the budget or found no range slot while no packet of the peer was seen (a
    one-direction capture: no acknowledgment will tell), or the flow ended
    (flow_export)."""
    cdef uint32_t k, m = 0, top
    if start == 0 or st.len != 0:
        return
    if st.nooo:
        top = st.ooo_hi[st.nooo - 1]
        if top > start:
            memmove(st.buf, st.buf + start, top - start)
        for k in range(st.nooo):
            if st.ooo_hi[k] <= start:
                continue
            st.ooo_lo[m] = st.ooo_lo[k] - start if st.ooo_lo[k] > start else 0
            st.ooo_hi[m] = st.ooo_hi[k] - start
            m += 1
        st.nooo = <uint8_t>m
    st.base += start
    st.flags |= SF_MIDSTREAM | SF_RESYNC
    if st.nooo and st.ooo_lo[0] == 0:
        st.len = st.ooo_hi[0]
        for k in range(st.nooo - 1):
            st.ooo_lo[k] = st.ooo_lo[k + 1]
            st.ooo_hi[k] = st.ooo_hi[k + 1]
        st.nooo -= 1


cdef inline void ack_seen(Stream* o, Pkt* p) noexcept nogil:
    """Packet p acknowledges bytes of the other direction's stream `o`.  While `o` holds
    no in-order byte, an acknowledgment past its start proves the bytes of the hole
    reached the peer and the capture lost them: resync `o` at the first byte held after
    the hole, or at the acknowledged offset when nothing is held yet.  One compare on
    the common path (a stream that has its start)."""
    cdef int32_t rel
    if PL_LIKELY(o.len != 0) or not o.has_base or not (p.tcp_flags & 0x10):
        return
    rel = <int32_t>(p.ack - o.base)
    if rel <= 0:
        return
    if o.nooo and o.ooo_lo[0] < <uint32_t>rel:
        stream_resync(o, o.ooo_lo[0])
    else:
        stream_resync(o, <uint32_t>rel)


cdef void tcp_write(Stream* st, uint32_t lo, uint32_t hi, const uint8_t* data, uint32_t dlo) noexcept nogil:
    """Copy [lo, hi) (stream offsets; data[0] is offset dlo) into the parts not yet held."""
    cdef uint32_t a = lo, b
    cdef int k
    if a < st.len:
        a = st.len
    for k in range(st.nooo):
        if a >= hi:
            return
        if st.ooo_hi[k] <= a:
            continue
        if st.ooo_lo[k] > a:
            b = st.ooo_lo[k] if st.ooo_lo[k] < hi else hi
            memcpy(st.buf + a, data + (a - dlo), b - a)
        a = st.ooo_hi[k]
    if a < hi:
        memcpy(st.buf + a, data + (a - dlo), hi - a)


cdef inline bint one_way(Core* c, uint32_t fi, Stream* st) noexcept nogil:
    """No packet of the peer of stream `st` was seen (yet): no acknowledgment can tell
    whether a hole in `st` will fill, so the gap rule falls back on the budget."""
    cdef Flow* f = &c.flows[fi]
    return f.pkts[1 if st == &f.st[0] else 0] == 0


cdef void tcp_data(Core* c, uint32_t fi, Stream* st, uint32_t seq, const uint8_t* data,
                   uint32_t n, Pkt* p) noexcept nogil:
    """Fold one TCP segment into the direction's in-order prefix."""
    cdef uint32_t cap = c.cfg.payload_bytes
    cdef int32_t rel
    cdef uint32_t lo, hi, k, m
    cdef int ins
    if not st.has_base:
        st.base = seq                               # mid-stream start: the first data seen is offset 0
        st.has_base = 1
        st.flags |= SF_MIDSTREAM
    rel = <int32_t>(seq - st.base)
    if rel < 0:
        # Bytes before the start (a retransmission from before a mid-stream start):
        # keep only what follows it.
        if <uint32_t>(-rel) >= n:
            c.stats.tcp_retrans += 1
            return
        data += <uint32_t>(-rel)
        n -= <uint32_t>(-rel)
        rel = 0
    lo = <uint32_t>rel
    if lo >= cap:
        if st.len == 0 and one_way(c, fi, st):
            # Nothing in order yet, and the bytes after the hole already reach past the
            # budget: resync at the first byte held (or at this segment), then take it.
            stream_resync(st, st.ooo_lo[0] if st.nooo else lo)
            tcp_data(c, fi, st, seq, data, n, p)
            return
        st.flags |= SF_TRUNCATED
        return
    hi = lo + n if lo + n < cap else cap
    if lo + n > cap:
        st.flags |= SF_TRUNCATED
    if hi <= st.len:
        c.stats.tcp_retrans += 1                    # every byte already held
        return
    if lo == st.len and st.nooo == 0 and hi <= st.cap:
        # In order, nothing held beyond, room in the buffer: append (what the general
        # steps below would do, without their loops).
        memcpy(st.buf + lo, data, hi - lo)
        st.len = hi
        return
    if lo > st.len:
        # Ahead of a hole: keep it as an out-of-order range if a slot is free or it
        # merges with one; fixed slots bound the work per segment.
        c.stats.tcp_ooo += 1
        ins = -1
        for k in range(st.nooo):
            if hi >= st.ooo_lo[k] and lo <= st.ooo_hi[k]:
                ins = k
                break
        if ins < 0 and st.nooo >= MAX_OOO:
            if st.len == 0 and one_way(c, fi, st):
                stream_resync(st, st.ooo_lo[0])     # as above: no slot left for the hole to wait
                tcp_data(c, fi, st, seq, data, n, p)
                return
            st.flags |= SF_OOO_DROPPED
            return
    if stream_reserve(c, st, hi, fi) != 0:
        st.flags |= SF_TRUNCATED
        return
    tcp_write(st, lo, hi, data, lo)
    # Record [lo, hi) as held: merge it with the prefix or the ranges.
    if lo <= st.len:
        if hi > st.len:
            st.len = hi
    else:
        k = 0
        while k < st.nooo and st.ooo_hi[k] < lo:
            k += 1
        if k < st.nooo and st.ooo_lo[k] <= hi:
            if lo < st.ooo_lo[k]:
                st.ooo_lo[k] = lo
            if hi > st.ooo_hi[k]:
                st.ooo_hi[k] = hi
            # the widened range may now reach the ones after it
            while k + 1 < st.nooo and st.ooo_lo[k + 1] <= st.ooo_hi[k]:
                if st.ooo_hi[k + 1] > st.ooo_hi[k]:
                    st.ooo_hi[k] = st.ooo_hi[k + 1]
                for m in range(k + 1, st.nooo - 1):
                    st.ooo_lo[m] = st.ooo_lo[m + 1]
                    st.ooo_hi[m] = st.ooo_hi[m + 1]
                st.nooo -= 1
        else:
            for m in range(st.nooo, k, -1):
                st.ooo_lo[m] = st.ooo_lo[m - 1]
                st.ooo_hi[m] = st.ooo_hi[m - 1]
            st.ooo_lo[k] = lo
            st.ooo_hi[k] = hi
            st.nooo += 1
    # Ranges the prefix now reaches join it.
    while st.nooo and st.ooo_lo[0] <= st.len:
        if st.ooo_hi[0] > st.len:
            st.len = st.ooo_hi[0]
        for m in range(st.nooo - 1):
            st.ooo_lo[m] = st.ooo_lo[m + 1]
            st.ooo_hi[m] = st.ooo_hi[m + 1]
        st.nooo -= 1


cdef void udp_data(Core* c, uint32_t fi, Stream* st, const uint8_t* data, uint32_t n) noexcept nogil:
    cdef uint32_t take
    if st.ndgram >= c.cfg.udp_datagrams:
        if n:
            st.flags |= SF_TRUNCATED
        return
    take = c.cfg.payload_bytes - st.len
    if n < take:
        take = n
    if take < n:
        st.flags |= SF_TRUNCATED
        if take == 0:
            return
    if take and stream_reserve(c, st, st.len + take, fi) != 0:
        st.flags |= SF_TRUNCATED
        return
    if take:
        memcpy(st.buf + st.len, data, take)
    st.len += take
    st.dgram_len[st.ndgram] = <uint16_t>take
    st.ndgram += 1


# ---------------------------------------------------------------- packets

cdef void swap_dirs(Flow* f) noexcept nogil:
    """Turn a flow around: used when a late SYN shows the first packet seen was the server's."""
    cdef uint8_t a[16]
    cdef uint16_t t
    cdef uint64_t u
    cdef uint8_t b
    cdef Stream s
    cdef int k
    memcpy(a, f.cli, 16)
    memcpy(f.cli, f.srv, 16)
    memcpy(f.srv, a, 16)
    t = f.cport; f.cport = f.sport; f.sport = t
    u = f.pkts[0]; f.pkts[0] = f.pkts[1]; f.pkts[1] = u
    u = f.bytes[0]; f.bytes[0] = f.bytes[1]; f.bytes[1] = u
    b = f.tcpflags[0]; f.tcpflags[0] = f.tcpflags[1]; f.tcpflags[1] = b
    f.fin = ((f.fin & 1) << 1) | ((f.fin >> 1) & 1)
    s = f.st[0]; f.st[0] = f.st[1]; f.st[1] = s
    for k in range(f.npk):
        f.pk_dir[k] ^= 1


cdef int flow_new(Core* c, Pkt* p, uint64_t h, uint32_t slot) noexcept nogil:
    """Create the flow for packet p in the empty slot found by the lookup.
    Returns its index, or -1 when memory ran out."""
    cdef uint32_t i
    cdef Flow* f
    cdef int server_first
    if c.nfree == 0:
        if slab_grow(c) != 0:
            # At the cap: push out the least recently active flow to make room.
            if evict_one(c, NONE) != 0:
                c.oom = 1
                return -1
        # The slot array may have been rebuilt or shifted: find the empty slot again.
        slot = <uint32_t>h & c.smask
        while c.slots[slot] != 0:
            slot = (slot + 1) & c.smask
    c.nfree -= 1
    i = c.freel[c.nfree]
    f = &c.flows[i]
    memset(f, 0, sizeof(Flow))
    f.hash = h
    f.live = 1
    # SYN-ACK seen before (or without) its SYN: its receiver is the client.
    server_first = p.proto == 6 and (p.tcp_flags & 0x12) == 0x12
    f.by_syn = p.proto == 6 and (p.tcp_flags & 0x02) != 0
    if server_first:
        memcpy(f.cli, p.dst, 16); memcpy(f.srv, p.src, 16)
        f.cport = p.dport; f.sport = p.sport
    else:
        memcpy(f.cli, p.src, 16); memcpy(f.srv, p.dst, 16)
        f.cport = p.sport; f.sport = p.dport
    f.vlan = p.vlan
    f.proto = p.proto
    f.ipver = p.ipver
    f.ts_first = p.ts
    f.ts_last = p.ts
    f.prev = NONE
    f.next = NONE
    c.slots[slot] = ((h & 0xFFFFFFFFULL) << 32) | (<uint64_t>i + 1)
    c.nlive += 1
    if c.nlive > c.stats.max_live:
        c.stats.max_live = c.nlive
    list_append(c, i, L_TCP if p.proto == 6 else L_UDP)
    return <int>i


cdef inline int flow_dir(Flow* f, Pkt* p) noexcept nogil:
    """0 or 1: the direction of packet p in flow f; -1 when p is not of f."""
    if f.proto != p.proto or f.vlan != p.vlan:
        return -1
    if f.cport == p.sport and f.sport == p.dport and addr_eq(f.cli, p.src) and addr_eq(f.srv, p.dst):
        return 0
    if f.cport == p.dport and f.sport == p.sport and addr_eq(f.cli, p.dst) and addr_eq(f.srv, p.src):
        return 1
    return -1


cdef inline void flow_count(Flow* f, int d, Pkt* p, int64_t now) noexcept nogil:
    """A packet's share of its flow's accounting: counters, the first packets'
    sizes, directions and gaps, timestamps, TCP flags."""
    cdef int64_t gap
    f.pkts[d] += 1
    f.bytes[d] += p.wirelen
    f.tunnel |= p.tunnel
    if f.npk < NPK:
        f.pk_size[f.npk] = <uint16_t>(p.l4len if p.l4len < 65535 else 65535)
        f.pk_dir[f.npk] = <uint8_t>d
        gap = (p.ts - f.ts_last) // 1000 if f.npk else 0
        if gap < 0:
            gap = 0                                 # timestamps went backwards
        elif gap > 0xFFFFFFFFLL:
            gap = 0xFFFFFFFFLL
        f.pk_iat[f.npk] = <uint32_t>gap
        f.npk += 1
    if p.ts > f.ts_last:
        f.ts_last = p.ts
    f.touched = now
    f.tcpflags[d] |= p.tcp_flags                    # zero for anything but TCP


cdef inline bint flow_idle(Core* c, Flow* f, int64_t now) noexcept nogil:
    """Flow f was idle (or closed) for longer than its timeout at engine time `now`:
    it ended before the packet that finds it."""
    return now - f.touched > list_timeout(c, f.list_id)


cdef inline bint flow_cut(Core* c, Flow* f, Pkt* p) noexcept nogil:
    """Packet p starts a new flow in f's place: the flow's lifetime is up, or p is a new
    SYN on a closed connection (port reuse)."""
    return p.ts - f.ts_first > c.cfg.active \
        or (f.list_id == L_CLOSED and p.proto == 6 and (p.tcp_flags & 0x12) == 0x02)


cdef inline bint flow_packet_quick(Core* c, Pkt* p) noexcept nogil:
    """The common case in a few instructions, inlined into the packet loop: a packet
    of the same flow as the one before, the clock going forward, no sweep due, no
    ending to decide, no SYN/FIN/RST, and the flow already last in its expiry list.
    Returns 0, having changed nothing, for anything else (flow_packet then decides
    it, exactly as it would have)."""
    cdef uint32_t i = c.last
    cdef Flow* f
    cdef int d
    if i == NONE or p.ts < c.now or p.ts >= c.next_sweep:
        return 0
    f = &c.flows[i]
    d = flow_dir(f, p)
    if d < 0 or c.tail[f.list_id] != i or (p.tcp_flags & 0x07) or flow_idle(c, f, p.ts) \
            or flow_cut(c, f, p):
        return 0
    c.now = p.ts
    flow_count(f, d, p, p.ts)
    if p.proto == 6:
        ack_seen(&f.st[d ^ 1], p)
        if p.paylen:
            tcp_data(c, i, &f.st[d], p.seq, p.payload, p.paylen, p)
    elif p.proto == 17:
        udp_data(c, i, &f.st[d], p.payload, p.paylen)
    return 1


cdef void flow_packet(Core* c, Pkt* p) noexcept nogil:
    """Fold one decoded packet into its flow."""
    cdef uint64_t h
    cdef uint32_t j
    cdef uint64_t s
    cdef uint32_t i = NONE
    cdef int d = -1, ni, reason
    cdef Flow* f
    cdef uint8_t fl
    if PL_UNLIKELY(p.ts < c.now):
        c.stats.ts_backwards += 1
    else:
        c.now = p.ts
    # Other flows' timeouts are swept once per second of capture time, not per packet
    # (three list heads are three cache misses); the packet's own flow is checked
    # exactly below, so which packets make up a flow never depends on the sweep.
    if c.now >= c.next_sweep:
        expire(c, c.now)
        c.next_sweep = c.now + SWEEP_NS
    if c.last != NONE:
        d = flow_dir(&c.flows[c.last], p)
    if d >= 0:
        i = c.last
        h = c.flows[i].hash
    else:
        h = flow_hash(p)
        j = <uint32_t>h & c.smask
        while True:
            s = c.slots[j]
            if s == 0:
                break
            if (s >> 32) == (h & 0xFFFFFFFFULL):
                d = flow_dir(&c.flows[(s & 0xFFFFFFFFULL) - 1], p)
                if d >= 0:
                    i = <uint32_t>(s & 0xFFFFFFFFULL) - 1
                    break
            j = (j + 1) & c.smask
    fl = p.tcp_flags
    if i != NONE:
        f = &c.flows[i]
        reason = -1
        if flow_idle(c, f, c.now):
            reason = END_CLOSED if f.list_id == L_CLOSED else END_IDLE
        elif flow_cut(c, f, p):
            reason = END_CLOSED if f.list_id == L_CLOSED else END_ACTIVE
        if reason >= 0:
            flow_end(c, i, <uint8_t>reason)
            i = NONE
            j = <uint32_t>h & c.smask
            while c.slots[j] != 0:
                j = (j + 1) & c.smask
    if i == NONE:
        # At a cap, a packet of a flow evicted moments ago would start a new flow that
        # pushes out another: with more concurrent flows than the cap, every packet
        # became a record of its own. It is counted on the evicted key instead.
        if table_at_cap(c) and ev_absorb(c, p, h):
            return
        ni = flow_new(c, p, h, j)
        if ni < 0:
            return
        i = <uint32_t>ni
        f = &c.flows[i]
        d = 0 if f.cport == p.sport and addr_eq(f.cli, p.src) else 1
    c.last = i
    f = &c.flows[i]
    if p.proto == 6 and not f.by_syn and (fl & 0x02) and f.st[0].len == 0 and f.st[1].len == 0:
        # A SYN (or SYN-ACK) after the first packets: orient by it, data has not started.
        if ((fl & 0x12) == 0x02 and d == 1) or ((fl & 0x12) == 0x12 and d == 0):
            swap_dirs(f)
            d ^= 1
        f.by_syn = 1
    flow_count(f, d, p, c.now)
    if p.proto == 6:
        ack_seen(&f.st[d ^ 1], p)
        if fl & 0x02:
            # The SYN fixes where the stream starts (its own data, if any, follows it).
            if f.st[d].len == 0 and f.st[d].nooo == 0:
                f.st[d].base = p.seq + 1
                f.st[d].has_base = 1
                f.st[d].flags &= ~(SF_MIDSTREAM | SF_RESYNC)
            if p.paylen:
                tcp_data(c, i, &f.st[d], p.seq + 1, p.payload, p.paylen, p)
        elif p.paylen:
            tcp_data(c, i, &f.st[d], p.seq, p.payload, p.paylen, p)
        if fl & 0x01:
            f.fin |= 1 << d
        if fl & 0x04:
            f.rst = 1
        if f.list_id == L_CLOSED or f.fin == 3 or f.rst:
            list_touch(c, i, L_CLOSED)
        else:
            list_touch(c, i, L_TCP)
    else:
        if p.proto == 17:
            udp_data(c, i, &f.st[d], p.payload, p.paylen)
        list_touch(c, i, L_UDP)


cdef uint32_t flush_some(Core* c, uint32_t max_records, uint64_t max_arena) noexcept nogil:
    """End live flows (end of input), earliest-started list head first, until
    `max_records` flows or `max_arena` payload bytes wait for Python (0: no bound), so
    the end of a capture is handed over in bounded batches too. Returns the flows
    still live."""
    cdef int lid
    cdef uint32_t best
    while c.nlive and (max_records == 0 or c.nrec < max_records) and (max_arena == 0 or c.alen < max_arena):
        best = NONE
        for lid in range(NLISTS):
            if c.head[lid] != NONE and (best == NONE
                    or c.flows[c.head[lid]].ts_first < c.flows[best].ts_first):
                best = c.head[lid]
        flow_end(c, best, END_EOF)
    return c.nlive


cdef void flush_all(Core* c) noexcept nogil:
    """End every live flow (end of input), earliest-started list head first."""
    flush_some(c, 0, 0)
