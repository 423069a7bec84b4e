# Capture file record parser: classic pcap (both byte orders, us/ns, the
# "modified" 24-byte-record variant) and pcapng (SHB in both byte orders, IDB with
# if_tsresol/if_tsoffset, EPB, SPB, OPB; other blocks skipped).
#
# The parser works on a window [data, data+len) of the file. When a record does not
# fit in the window it answers RD_NEED with `need` set to the bytes required from
# `pos`; the caller maps or reads more (mmap or pread for files, read for streams) and calls
# again. Only at true end of input does an incomplete record become an error.

from libc.string cimport memcpy, memset, memcmp, memchr
from libc.stdio cimport snprintf
from libc.stdlib cimport malloc, calloc, realloc, free

cdef extern from *:
    """
    #define PL_PREFETCH(p) __builtin_prefetch((const void*)(p), 0, 0)
    """
    void PL_PREFETCH(const void*) noexcept nogil

cdef enum:
    # Mapped files: how far past the record being read the reader asks the CPU to
    # fetch. The bytes of a mapped file come from memory, not from a buffer a read()
    # has just filled; fetching ahead overlaps that wait with the work on earlier
    # packets (bench.pcap, page cache in 2 MiB pages: +20%; 1-8 KiB all within noise).
    PF_AHEAD = 2048

cdef enum:
    FMT_PCAP = 1
    FMT_PCAPNG = 2

cdef enum:
    RD_NEED = 0         # the window ends inside a record: refill, then call again
    RD_PKT = 1          # a packet record is in `raw`
    RD_END = 2          # clean end of input
    RD_ERR = -1         # damaged input: `errmsg` says what and where; stop reading

cdef enum:
    # Largest record we accept. Wireshark rejects records above 256 KiB; jumbo frames
    # and TSO captures stay well below this, so anything larger is corruption.
    MAX_RECORD = 262144 * 4
    # Largest pcapng block we accept (a block may carry options and a name resolution
    # table; 16 MiB leaves room for those and still catches garbage lengths).
    MAX_BLOCK = 16 * 1024 * 1024
    MAX_IFACES = 4096

ctypedef struct IfDesc:
    int linktype
    uint32_t snaplen
    uint8_t ts_base2        # 1: resolution is 2^-exp; 0: 10^-exp
    uint8_t ts_exp
    int64_t ts_offset_ns    # if_tsoffset, in ns

ctypedef struct Raw:
    int64_t ts
    uint32_t caplen
    uint32_t wirelen
    int linktype
    const uint8_t* data

ctypedef struct Src:
    const uint8_t* data     # current window
    size_t len
    size_t pos              # next record starts at data+pos
    int mapped              # 1: the window maps the file: check each record for a cut
                            # (mapguard.pxi) and prefetch ahead of it
    const int* cut          # nonzero once the mapped window lost pages
    const uint8_t* pf       # mapped files: bytes before this were prefetched
    uint64_t base_off       # file offset of data[0]
    size_t need             # with RD_NEED: bytes wanted from pos
    int eof                 # 1: nothing exists beyond data+len
    int fmt
    int swapped             # multi-byte fields are in the other byte order
    int nsec                # pcap: nanosecond timestamps
    int rec_hdr             # pcap: record header size (16, or 24 for the modified format)
    uint32_t snaplen
    int linktype
    IfDesc* ifs             # pcapng interfaces of the current section
    int nifs
    int ifcap
    uint64_t recno          # records returned so far
    char errmsg[256]
    Stats* stats            # counters shared with the engine


cdef inline uint16_t rd16(const uint8_t* p, int sw) noexcept nogil:
    if sw:
        return <uint16_t>((p[0] << 8) | p[1])
    return <uint16_t>(p[0] | (p[1] << 8))

cdef inline uint32_t rd32(const uint8_t* p, int sw) noexcept nogil:
    # Captures are little-endian on nearly every writer; `sw` means big-endian here.
    if sw:
        return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]
    return (<uint32_t>p[3] << 24) | (<uint32_t>p[2] << 16) | (<uint32_t>p[1] << 8) | p[0]


cdef inline void src_prefetch(Src* s, const uint8_t* p, size_t n) noexcept nogil:
    # Mapped files: ask for the lines up to PF_AHEAD past this record's end, each once.
    if s.pf < p:
        s.pf = p
    while s.pf < p + n + PF_AHEAD:
        PL_PREFETCH(s.pf)
        s.pf += 64


cdef int src_cut(Src* s) noexcept nogil:
    snprintf(s.errmsg, sizeof(s.errmsg),
             b"the file shrank while it was being read (record %llu at byte offset %llu is gone)",
             <unsigned long long>(s.recno + 1), <unsigned long long>(s.base_off + s.pos))
    return RD_ERR


cdef int src_error(Src* s, const char* what, uint64_t value) noexcept nogil:
    # Zeros where a cut took the file's pages away make any error: say what happened.
    if pl_is_cut(s.cut):
        return src_cut(s)
    snprintf(s.errmsg, sizeof(s.errmsg), b"%s (record %llu at byte offset %llu, value %llu)",
             what, <unsigned long long>(s.recno + 1),
             <unsigned long long>(s.base_off + s.pos), <unsigned long long>value)
    return RD_ERR


cdef int src_open_header(Src* s) noexcept nogil:
    """Parse the file header at data[0:]. Returns RD_PKT (header read), RD_NEED or RD_ERR."""
    cdef const uint8_t* p = s.data
    cdef uint32_t magic
    if s.len < 4:
        if not s.eof:
            s.need = 24
            return RD_NEED
        snprintf(s.errmsg, sizeof(s.errmsg), b"too short to be a capture (%llu bytes)",
                 <unsigned long long>s.len)
        return RD_ERR
    magic = rd32(p, 0)
    if magic == 0x0A0D0D0A:
        s.fmt = FMT_PCAPNG
        s.pos = 0
        if s.len < 12:
            if not s.eof:
                s.need = 12
                return RD_NEED
            snprintf(s.errmsg, sizeof(s.errmsg), b"truncated pcapng section header")
            return RD_ERR
        magic = rd32(p + 8, 0)
        if magic != 0x1A2B3C4DU and magic != 0x4D3C2B1AU:
            snprintf(s.errmsg, sizeof(s.errmsg),
                     b"pcapng section header has a bad byte-order magic (0x%08x)", magic)
            return RD_ERR
        return RD_PKT       # the SHB is then parsed as an ordinary block
    s.fmt = FMT_PCAP
    s.rec_hdr = 16
    if magic == 0xA1B2C3D4U:
        s.swapped = 0; s.nsec = 0
    elif magic == 0xD4C3B2A1U:
        s.swapped = 1; s.nsec = 0
    elif magic == 0xA1B23C4DU:
        s.swapped = 0; s.nsec = 1
    elif magic == 0x4D3CB2A1:
        s.swapped = 1; s.nsec = 1
    elif magic == 0xA1B2CD34U:           # Kuznetzov's "modified pcap": 8 more bytes per record
        s.swapped = 0; s.nsec = 0; s.rec_hdr = 24
    elif magic == 0x34CDB2A1:
        s.swapped = 1; s.nsec = 0; s.rec_hdr = 24
    else:
        snprintf(s.errmsg, sizeof(s.errmsg),
                 b"not a pcap or pcapng file (magic 0x%08x)", magic)
        return RD_ERR
    if s.len < 24:
        if not s.eof:
            s.need = 24
            return RD_NEED
        snprintf(s.errmsg, sizeof(s.errmsg), b"truncated pcap file header (%llu of 24 bytes)",
                 <unsigned long long>s.len)
        return RD_ERR
    s.snaplen = rd32(p + 16, s.swapped)
    # The low 16 bits are the link type; the upper bits may carry FCS information.
    s.linktype = rd32(p + 20, s.swapped) & 0xFFFF
    s.pos = 24
    return RD_PKT


cdef inline int src_pcap_next(Src* s, Raw* r, int sw, int nsec) noexcept nogil:
    # `sw` and `nsec` are s.swapped and s.nsec, passed in so that the packet loop can
    # be compiled once per byte order and resolution with the branches folded away.
    cdef size_t avail = s.len - s.pos
    cdef const uint8_t* p
    cdef uint32_t caplen, wirelen, sec, frac
    if avail < <size_t>s.rec_hdr:
        if s.eof:
            if avail == 0:
                return RD_END
            return src_error(s, b"truncated record header at end of file", avail)
        s.need = s.rec_hdr
        return RD_NEED
    p = s.data + s.pos
    sec = rd32(p, sw)
    frac = rd32(p + 4, sw)
    caplen = rd32(p + 8, sw)
    wirelen = rd32(p + 12, sw)
    if caplen > MAX_RECORD:
        return src_error(s, b"record length is absurd: caplen exceeds the snaplen and any real frame", caplen)
    if avail < s.rec_hdr + caplen:
        if s.eof:
            return src_error(s, b"truncated last record: caplen runs past the end of the file", caplen)
        s.need = s.rec_hdr + caplen
        return RD_NEED
    if s.mapped:
        if pl_cut_at(s.cut, p + s.rec_hdr + caplen - 1):
            return src_cut(s)
        src_prefetch(s, p, s.rec_hdr + caplen)
    if caplen > s.snaplen and s.snaplen:
        s.stats.caplen_over_snaplen += 1
    r.ts = <int64_t>sec * 1000000000 + (<int64_t>frac if nsec else <int64_t>frac * 1000)
    r.caplen = caplen
    r.wirelen = wirelen if wirelen >= caplen else caplen
    r.linktype = s.linktype
    r.data = p + s.rec_hdr
    s.pos += s.rec_hdr + caplen
    s.recno += 1
    return RD_PKT


cdef inline int64_t ng_ts(IfDesc* d, uint32_t hi, uint32_t lo) noexcept nogil:
    cdef uint64_t t = (<uint64_t>hi << 32) | lo
    cdef uint64_t p10 = 1
    cdef int i, e = d.ts_exp
    cdef int64_t ns
    if d.ts_base2:
        if e <= 33:
            ns = <int64_t>((t >> e) * 1000000000ULL + (((t & ((1ULL << e) - 1)) * 1000000000ULL) >> e))
        else:
            ns = <int64_t>(<double>t / (<double>(1ULL << (e if e < 63 else 63))) * 1e9)
    elif e <= 9:
        for i in range(9 - e):
            p10 *= 10
        ns = <int64_t>(t * p10)
    else:
        # ng_add_iface refuses e > 19, so p10 <= 10^10 here and never wraps to 0; the
        # test stays as a second line of defence against a division by zero.
        for i in range(e - 9):
            p10 *= 10
        ns = <int64_t>(t / p10) if p10 else 0
    # The sum wraps instead of overflowing (signed overflow is undefined behaviour): an
    # absurd timestamp from a crafted file stays absurd, it does not become UB.
    return <int64_t>(<uint64_t>ns + <uint64_t>d.ts_offset_ns)


cdef int ng_add_iface(Src* s, const uint8_t* body, uint32_t blen) noexcept nogil:
    cdef IfDesc* d
    cdef uint32_t off, olen
    cdef uint16_t code
    cdef uint64_t v
    cdef int i
    if blen < 8:
        return src_error(s, b"pcapng interface description block too short", blen)
    if s.nifs >= MAX_IFACES:
        return src_error(s, b"pcapng file declares too many interfaces", s.nifs)
    if s.nifs == s.ifcap:
        s.ifcap = 8 if s.ifcap == 0 else s.ifcap * 2
        d = <IfDesc*>realloc(s.ifs, s.ifcap * sizeof(IfDesc))
        if d == NULL:
            return src_error(s, b"out of memory for pcapng interfaces", s.ifcap)
        s.ifs = d
    d = &s.ifs[s.nifs]
    s.nifs += 1
    d.linktype = rd16(body, s.swapped)
    d.snaplen = rd32(body + 4, s.swapped)
    d.ts_base2 = 0
    d.ts_exp = 6            # default resolution: microseconds
    d.ts_offset_ns = 0
    off = 8
    while off + 4 <= blen:
        code = rd16(body + off, s.swapped)
        olen = rd16(body + off + 2, s.swapped)
        if code == 0 or off + 4 + olen > blen:
            break           # opt_endofopt, or an option that overruns: keep what we have
        if code == 9 and olen >= 1:          # if_tsresol
            d.ts_base2 = (body[off + 4] & 0x80) != 0
            d.ts_exp = body[off + 4] & 0x7F
            # ng_ts divides by 10^(exp - 9) or shifts by exp. Past 10^-19 s (2^-63 s) a
            # 64-bit timestamp cannot count even one second, and 10^k wraps to 0 in 64
            # bits from k = 64 (exp 0x49): a division by zero. No real capture has it.
            if (d.ts_base2 and d.ts_exp > 63) or (not d.ts_base2 and d.ts_exp > 19):
                return src_error(s, b"pcapng interface block has an impossible timestamp resolution "
                                    b"(if_tsresol)", body[off + 4])
        elif code == 14 and olen >= 8:       # if_tsoffset, seconds, signed
            v = (<uint64_t>rd32(body + off + 4, s.swapped) << 32) | rd32(body + off + 8, s.swapped) \
                if s.swapped else (<uint64_t>rd32(body + off + 8, s.swapped) << 32) | rd32(body + off + 4, s.swapped)
            # Nanoseconds must fit in int64 (about +-292 years): a larger offset would
            # overflow the multiplication (undefined behaviour), and no clock has it.
            if <int64_t>v > 9000000000LL or <int64_t>v < -9000000000LL:
                return src_error(s, b"pcapng interface block has an impossible timestamp offset "
                                    b"(if_tsoffset)", v)
            d.ts_offset_ns = <int64_t>v * 1000000000
        off += 4 + ((olen + 3) & ~3)
    return 0


cdef inline int src_pcapng_next(Src* s, Raw* r) noexcept nogil:
    cdef size_t avail
    cdef const uint8_t* p
    cdef uint32_t btype, blen, caplen, wirelen, ifid, bom
    cdef IfDesc* d
    cdef int rc
    while True:
        avail = s.len - s.pos
        if avail == 0:
            if s.eof:
                return RD_END
            s.need = 12
            return RD_NEED
        if avail < 12:
            if s.eof:
                return src_error(s, b"truncated pcapng block header at end of file", avail)
            s.need = 12
            return RD_NEED
        p = s.data + s.pos
        btype = rd32(p, s.swapped)
        if btype == 0x0A0D0D0A:
            # A Section Header Block: its byte-order magic sets the order of the section.
            bom = rd32(p + 8, 0)
            if bom == 0x1A2B3C4D:
                s.swapped = 0
            elif bom == 0x4D3C2B1A:
                s.swapped = 1
            else:
                return src_error(s, b"pcapng section header has a bad byte-order magic", bom)
            s.nifs = 0      # interfaces are per section
        blen = rd32(p + 4, s.swapped)
        if blen < 12 or (blen & 3) or blen > MAX_BLOCK:
            return src_error(s, b"pcapng block has a bad total length", blen)
        if avail < blen:
            if s.eof:
                return src_error(s, b"truncated pcapng block: its length runs past the end of the file", blen)
            s.need = blen
            return RD_NEED
        if s.mapped:
            if pl_cut_at(s.cut, p + blen - 1):
                return src_cut(s)
            src_prefetch(s, p, blen)
        if rd32(p + blen - 4, s.swapped) != blen:
            return src_error(s, b"pcapng block's trailing length does not match its leading length", blen)
        s.pos += blen
        if btype == 6 or btype == 2:
            # Enhanced Packet Block (6) and the obsolete Packet Block (2).
            if blen < 32:
                return src_error(s, b"pcapng packet block too short", blen)
            if btype == 6:
                ifid = rd32(p + 8, s.swapped)
            else:
                ifid = rd16(p + 8, s.swapped)
            caplen = rd32(p + 20, s.swapped)
            wirelen = rd32(p + 24, s.swapped)
            if caplen > blen - 32:
                s.pos -= blen
                return src_error(s, b"pcapng packet's captured length exceeds its block", caplen)
            if ifid >= <uint32_t>s.nifs:
                # A packet of an interface never described: we cannot know its link type.
                s.stats.damaged_records += 1
                s.recno += 1
                continue
            d = &s.ifs[ifid]
            if d.snaplen and caplen > d.snaplen:
                s.stats.caplen_over_snaplen += 1
            r.ts = ng_ts(d, rd32(p + 12, s.swapped), rd32(p + 16, s.swapped))
            r.caplen = caplen
            r.wirelen = wirelen if wirelen >= caplen else caplen
            r.linktype = d.linktype
            r.data = p + 28
            s.recno += 1
            return RD_PKT
        elif btype == 3:
            # Simple Packet Block: interface 0, no timestamp, captured length implied
            # by the block: 12 bytes of framing and the 4-byte original length come
            # first, so a block shorter than 16 has no room for even the length field.
            if blen < 16:
                s.pos -= blen
                return src_error(s, b"pcapng simple packet block too short", blen)
            if s.nifs == 0:
                s.stats.damaged_records += 1
                s.recno += 1
                continue
            d = &s.ifs[0]
            wirelen = rd32(p + 8, s.swapped)
            caplen = blen - 16
            if wirelen < caplen:
                caplen = wirelen
            if d.snaplen and caplen > d.snaplen:
                caplen = d.snaplen
            r.ts = 0
            r.caplen = caplen
            r.wirelen = wirelen
            r.linktype = d.linktype
            r.data = p + 12
            s.recno += 1
            return RD_PKT
        elif btype == 1:
            s.pos -= blen           # so that an error names this block's offset
            rc = ng_add_iface(s, p + 8, blen - 12)
            if rc != 0:
                return rc
            s.pos += blen
        # Everything else (SHB body, NRB, ISB, DSB, custom blocks) carries no packets.


cdef inline int src_next(Src* s, Raw* r) noexcept nogil:
    if s.fmt == FMT_PCAP:
        return src_pcap_next(s, r, s.swapped, s.nsec)
    return src_pcapng_next(s, r)
