# L2-L4 decoding into a stack `Pkt`: link types, VLAN/QinQ/MPLS/PPPoE, IPv4 with
# options, IPv6 with extension headers, fragments, and tunnels (IP-in-IP, GRE, GTP-U,
# VXLAN), keyed on the innermost headers. Every length is checked against the bytes
# captured before it is used: a bad header is counted and the packet skipped.
#
# Tunnel decapsulation of GTP-U, VXLAN and CAPWAP data is gated on their UDP ports (2152, 4789, 5247)
# AND on the encapsulated header looking right, as Wireshark and Suricata do. This is
# decoding, not classification: the detectors and the model still never see ports.

cdef enum:
    DEC_SKIP = 0            # nothing to fold into a flow (counted where it was decided)
    DEC_OK = 1              # `Pkt` describes an IP packet of a flow

cdef extern from * nogil:
    """
    #include <arpa/inet.h>
    #define PL_ET_IPV4 htons(0x0800)
    """
    uint16_t PL_ET_IPV4

cdef inline uint16_t be16(const uint8_t* p) noexcept nogil:
    return <uint16_t>((p[0] << 8) | p[1])

cdef inline uint32_t be32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]


cdef void note_unsupported(Core* c, int lt) noexcept nogil:
    cdef int i
    c.stats.unsupported_link += 1
    for i in range(c.nunsup):
        if c.unsup_lt[i] == lt:
            c.unsup_n[i] += 1
            return
    if c.nunsup < MAX_UNSUP:
        c.unsup_lt[c.nunsup] = lt
        c.unsup_n[c.nunsup] = 1
        c.nunsup += 1


cdef inline int dec_common_l4(Core* c, uint8_t proto, const uint8_t* l4, uint32_t l4n,
                              Pkt* p) noexcept nogil:
    """The transport header of a straight-path packet (not snapped: `l4n` bytes are both
    on the wire and captured). -1 hands the frame to the general path."""
    cdef uint32_t doff, ulen
    cdef uint16_t sport, dport
    if proto == 6:
        if l4n < 20:
            return -1
        doff = (l4[12] >> 4) * 4
        if doff < 20 or doff > l4n:
            return -1
        p.sport = be16(l4)
        p.dport = be16(l4 + 2)
        p.seq = be32(l4 + 4)
        p.ack = be32(l4 + 8)
        p.tcp_flags = l4[13]
        p.payload = l4 + doff
        p.paylen = l4n - doff
        p.l4len = l4n - doff
    elif proto == 17:
        if l4n < 8:
            return -1
        ulen = be16(l4 + 4)
        if ulen < 8 or ulen > l4n:
            return -1
        sport = be16(l4)
        dport = be16(l4 + 2)
        if c.cfg.decap and (dport == 4789 or dport == 8472 or dport == 2152 or sport == 2152
                            or dport == 5247 or sport == 5247):
            return -1
        p.sport = sport
        p.dport = dport
        p.seq = 0
        p.tcp_flags = 0
        p.payload = l4 + 8
        p.paylen = ulen - 8
        p.l4len = ulen - 8
    elif proto == 4 or proto == 41 or proto == 47 or proto == 51 or proto == 0 or proto == 43 \
            or proto == 44 or proto == 60 or proto == 135 or proto == 139 or proto == 140:
        return -1                   # tunnels, AH and IPv6 extension headers: the general path
    else:
        # ICMP, ESP, SCTP, ...: a flow without ports; its payload is not kept.
        p.sport = 0
        p.dport = 0
        p.seq = 0
        p.tcp_flags = 0
        p.payload = l4
        p.paylen = l4n
        p.l4len = l4n
    p.proto = proto
    return DEC_OK


cdef inline int dec_common_v4(Core* c, const uint8_t* ip, uint32_t n, Pkt* p) noexcept nogil:
    cdef uint32_t tot
    cdef uint64_t a
    if ip[0] != 0x45:
        return -1
    tot = be16(ip + 2)
    if tot < 20 or tot > n or (be16(ip + 6) & 0x3FFF):
        return -1
    if dec_common_l4(c, ip[9], ip + 20, tot - 20, p) < 0:
        return -1
    p.ipver = 4
    # Addresses as whole 8-byte stores: flow_hash reads them back 8 bytes at a time,
    # and a load spanning a 4-byte copy and a memset cannot be forwarded from the
    # store buffer (a stall of a dozen cycles, measured as the hottest spot).
    a = 0
    memcpy(&a, ip + 12, 4)
    memcpy(p.src, &a, 8)
    a = 0
    memcpy(&a, ip + 16, 4)
    memcpy(p.dst, &a, 8)
    a = 0
    memcpy(p.src + 8, &a, 8)
    memcpy(p.dst + 8, &a, 8)
    c.stats.ip_packets += 1
    return DEC_OK


cdef inline int dec_common_v6(Core* c, const uint8_t* ip, uint32_t n, Pkt* p) noexcept nogil:
    cdef uint32_t plen
    if n < 40 or (ip[0] >> 4) != 6:
        return -1
    plen = be16(ip + 4)
    if plen == 0 or plen > n - 40:
        return -1
    if dec_common_l4(c, ip[6], ip + 40, plen, p) < 0:
        return -1
    p.ipver = 6
    memcpy(p.src, ip + 8, 16)
    memcpy(p.dst, ip + 24, 16)
    c.stats.ip_packets += 1
    return DEC_OK


cdef int dec_common_more(Core* c, const uint8_t* d, uint32_t n, Pkt* p) noexcept nogil:
    """The straight path's less common half: one 802.1Q tag, or IPv6."""
    cdef int32_t vlan = -1
    cdef int rc
    if d[12] == 0x81 and d[13] == 0x00:
        vlan = be16(d + 14) & 0x0FFF
        d += 4
        n -= 4
    if d[12] == 0x08 and d[13] == 0x00:
        rc = dec_common_v4(c, d + 14, n - 14, p)
    elif d[12] == 0x86 and d[13] == 0xDD:
        rc = dec_common_v6(c, d + 14, n - 14, p)
    else:
        return -1
    if rc == DEC_OK:
        p.vlan = vlan
    return rc


cdef inline int dec_common(Core* c, const uint8_t* d, uint32_t n, Pkt* p) noexcept nogil:
    """The common cases in one straight run: Ethernet with at most one 802.1Q tag, then
    IPv4 without options and not a fragment, or IPv6 without extension headers; not
    snapped; TCP or UDP with sane lengths and not on a tunnel port, or a protocol
    without ports that is not a tunnel or an extension header. Returns DEC_OK with `p`
    filled exactly as the general path would fill it, or -1 to hand the frame to the
    general path (which also does all the counting of damage)."""
    cdef uint16_t et
    if n < 14 + 20 + 8:
        return -1
    memcpy(&et, d + 12, 2)                          # one 16-bit compare, in network order
    if et == PL_ET_IPV4:
        return dec_common_v4(c, d + 14, n - 14, p)
    return dec_common_more(c, d, n, p)


cdef inline int decode_frame(Core* c, int lt, const uint8_t* d, uint32_t n, Pkt* p) noexcept nogil:
    """Entry point: one captured frame of link type `lt`."""
    cdef int rc
    if lt == 1:
        rc = dec_common(c, d, n, p)
        if rc >= 0:
            return rc
    return decode_general(c, lt, d, n, p)


cdef int decode_general(Core* c, int lt, const uint8_t* d, uint32_t n, Pkt* p) noexcept nogil:
    """Any frame of link type `lt`, through the layered decoders."""
    cdef uint32_t fam
    if lt == 1:                                     # Ethernet
        if n < 14:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d + 12), d + 14, n - 14, p, 0)
    elif lt == 113:                                 # Linux cooked v1
        if n < 16:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d + 14), d + 16, n - 16, p, 0)
    elif lt == 276:                                 # Linux cooked v2
        if n < 20:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d), d + 20, n - 20, p, 0)
    elif lt == 101 or lt == 12 or lt == 14:         # raw IP (values differ across BSDs)
        return dec_ip_any(c, d, n, p, 0)
    elif lt == 228:
        return dec_ipv4(c, d, n, p, 0)
    elif lt == 229:
        return dec_ipv6(c, d, n, p, 0)
    elif lt == 0 or lt == 108:                      # BSD null (host order) / OpenBSD loop (network order)
        if n < 4:
            c.stats.bad_link += 1
            return DEC_SKIP
        if lt == 108:
            fam = be32(d)
        else:
            fam = <uint32_t>d[0] | (<uint32_t>d[1] << 8) | (<uint32_t>d[2] << 16) | (<uint32_t>d[3] << 24)
            if fam > 0xFFFF:                        # written on a big-endian host
                fam = be32(d)
        if fam == 2:
            return dec_ipv4(c, d + 4, n - 4, p, 0)
        if fam == 10 or fam == 24 or fam == 28 or fam == 30:    # AF_INET6 on Linux, *BSD, macOS
            return dec_ipv6(c, d + 4, n - 4, p, 0)
        c.stats.non_ip += 1
        return DEC_SKIP
    elif lt == 9 or lt == 50:                       # PPP, PPP in HDLC-like framing
        if n >= 4 and (d[0] == 0x0F or d[0] == 0x8F) and d[1] == 0:
            return dec_ethertype(c, be16(d + 2), d + 4, n - 4, p, 0)   # Cisco HDLC seen under DLT 50
        return dec_ppp(c, d, n, p, 0)
    elif lt == 192:                                 # PPI: a little-endian header naming the inner DLT
        if n < 8:
            c.stats.bad_link += 1
            return DEC_SKIP
        fam = <uint32_t>d[2] | (<uint32_t>d[3] << 8)
        if fam < 8 or fam > n or d[4] == 192:
            c.stats.bad_link += 1
            return DEC_SKIP
        return decode_frame(c, <int>(<uint32_t>d[4] | (<uint32_t>d[5] << 8)), d + fam, n - fam, p)
    elif lt == 104:                                 # Cisco HDLC
        if n < 4:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d + 2), d + 4, n - 4, p, 0)
    note_unsupported(c, lt)
    return DEC_SKIP


cdef int dec_ppp(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    cdef uint16_t proto
    if n >= 2 and d[0] == 0xFF and d[1] == 0x03:    # address/control, unless compressed away
        d += 2
        n -= 2
    if n < 1:
        c.stats.bad_link += 1
        return DEC_SKIP
    if d[0] & 1:                                    # protocol-field compression: one byte
        proto = d[0]
        d += 1
        n -= 1
    else:
        if n < 2:
            c.stats.bad_link += 1
            return DEC_SKIP
        proto = be16(d)
        d += 2
        n -= 2
    if proto == 0x21:
        return dec_ipv4(c, d, n, p, depth)
    if proto == 0x57:
        return dec_ipv6(c, d, n, p, depth)
    c.stats.non_ip += 1                             # LCP, IPCP, CHAP, ...
    return DEC_SKIP


cdef int dec_ethertype(Core* c, uint16_t et, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    cdef int tags = 0
    cdef uint32_t plen
    if depth > MAX_DEPTH:
        c.stats.too_deep += 1
        return DEC_SKIP
    # 802.1Q / 802.1ad (QinQ) / old QinQ values: the innermost tag names the VLAN.
    while et == 0x8100 or et == 0x88A8 or et == 0x9100 or et == 0x9200:
        if n < 4 or tags >= 8:
            c.stats.bad_link += 1
            return DEC_SKIP
        p.vlan = be16(d) & 0x0FFF
        et = be16(d + 2)
        d += 4
        n -= 4
        tags += 1
    if et < 0x0600:
        # An 802.3 length field: only LLC/SNAP carries an EtherType after it.
        if n >= 8 and d[0] == 0xAA and d[1] == 0xAA and d[2] == 0x03:
            return dec_ethertype(c, be16(d + 6), d + 8, n - 8, p, depth + 1)
        c.stats.non_ip += 1                         # STP, CDP, ...
        return DEC_SKIP
    if et == 0x0800:
        return dec_ipv4(c, d, n, p, depth)
    if et == 0x86DD:
        return dec_ipv6(c, d, n, p, depth)
    if et == 0x8847 or et == 0x8848:                # MPLS unicast / multicast
        while True:
            if n < 4:
                c.stats.bad_link += 1
                return DEC_SKIP
            if d[2] & 1:                            # bottom of stack
                d += 4
                n -= 4
                break
            d += 4
            n -= 4
        if n < 1:
            c.stats.bad_link += 1
            return DEC_SKIP
        if (d[0] >> 4) == 4 or (d[0] >> 4) == 6:
            return dec_ip_any(c, d, n, p, depth + 1)
        if (d[0] >> 4) == 0 and n >= 18:            # pseudowire control word, then Ethernet
            return dec_ethertype(c, be16(d + 16), d + 18, n - 18, p, depth + 1)
        c.stats.non_ip += 1
        return DEC_SKIP
    if et == 0x8864:                                # PPPoE session stage
        if n < 8:
            c.stats.bad_link += 1
            return DEC_SKIP
        plen = be16(d + 4)
        if plen < 2 or plen > n - 6:
            plen = n - 6
        return dec_ppp(c, d + 6, plen, p, depth + 1)
    c.stats.non_ip += 1                             # ARP, LLDP, PPPoE discovery, ...
    return DEC_SKIP


cdef inline int dec_ip_any(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    if n >= 1 and (d[0] >> 4) == 4:
        return dec_ipv4(c, d, n, p, depth)
    if n >= 1 and (d[0] >> 4) == 6:
        return dec_ipv6(c, d, n, p, depth)
    c.stats.bad_ip += 1
    return DEC_SKIP


cdef int dec_ipv4(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    cdef uint32_t ihl, tot, wire_tot
    cdef uint16_t fr
    cdef uint32_t foff
    cdef const uint8_t* out
    cdef uint32_t outlen = 0
    if depth > MAX_DEPTH:
        c.stats.too_deep += 1
        return DEC_SKIP
    if n < 20 or (d[0] >> 4) != 4:
        c.stats.bad_ip += 1
        return DEC_SKIP
    ihl = (d[0] & 0x0F) * 4
    if ihl < 20 or ihl > n:
        c.stats.bad_ip += 1
        return DEC_SKIP
    tot = be16(d + 2)
    wire_tot = tot
    if tot == 0:
        tot = n                                     # segmentation offload: length left at zero
        wire_tot = n
    elif tot < ihl:
        c.stats.bad_ip += 1
        return DEC_SKIP
    elif tot > n:
        c.stats.snapped += 1                        # cut by the snaplen: decode what is there
        tot = n
    if depth == 0:
        c.stats.ip_packets += 1
    p.ipver = 4
    memcpy(p.src, d + 12, 4)
    memset(p.src + 4, 0, 12)
    memcpy(p.dst, d + 16, 4)
    memset(p.dst + 4, 0, 12)
    fr = be16(d + 6)
    if fr & 0x3FFF:                                 # MF set or a non-zero offset: a fragment
        foff = (fr & 0x1FFF) * 8
        out = frag_add(c, 4, d + 12, d + 16, be16(d + 4), d[9], foff, (fr & 0x2000) != 0,
                       d + ihl, tot - ihl, p, depth, &outlen)
        if out == NULL:
            return DEC_SKIP
        return dec_l4(c, p.proto, out, outlen, outlen, p, depth)
    return dec_l4(c, d[9], d + ihl, tot - ihl, wire_tot - ihl, p, depth)


cdef int dec_ipv6(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    cdef uint32_t plen, wire_plen, hl, foff
    cdef uint8_t nh
    cdef bint reassembled = 0
    cdef const uint8_t* out
    cdef uint32_t outlen = 0
    if depth > MAX_DEPTH:
        c.stats.too_deep += 1
        return DEC_SKIP
    if n < 40 or (d[0] >> 4) != 6:
        c.stats.bad_ip += 1
        return DEC_SKIP
    plen = be16(d + 4)
    wire_plen = plen
    if plen == 0:                                   # jumbogram or offload: take what was captured
        plen = n - 40
        wire_plen = plen
    elif plen > n - 40:
        c.stats.snapped += 1
        plen = n - 40
    if depth == 0:
        c.stats.ip_packets += 1
    p.ipver = 6
    memcpy(p.src, d + 8, 16)
    memcpy(p.dst, d + 24, 16)
    nh = d[6]
    d += 40
    # No count limit on extension headers: each one consumes at least 8 bytes of
    # `plen`, so the walk ends with the packet. (A limit of 16 used to hand the 17th
    # header's type to dec_l4, so TCP behind 17 headers became an "ip-60" flow.)
    # Only the fragment header swaps in new bytes: it may do so once per packet.
    while True:
        if nh == 0 or nh == 43 or nh == 60 or nh == 135 or nh == 139 or nh == 140:
            # Hop-by-hop, routing, destination options, mobility, HIP, shim6: length in 8-octet units.
            if plen < 8:
                c.stats.bad_ip += 1
                return DEC_SKIP
            hl = (<uint32_t>d[1] + 1) * 8
            if hl > plen:
                c.stats.bad_ip += 1
                return DEC_SKIP
            nh = d[0]
            d += hl
            plen -= hl
            wire_plen -= hl if wire_plen >= hl else wire_plen
        elif nh == 51:                              # AH: length in 4-octet units, minus 2
            if plen < 8:
                c.stats.bad_ip += 1
                return DEC_SKIP
            hl = (<uint32_t>d[1] + 2) * 4
            if hl > plen:
                c.stats.bad_ip += 1
                return DEC_SKIP
            nh = d[0]
            d += hl
            plen -= hl
            wire_plen -= hl if wire_plen >= hl else wire_plen
        elif nh == 44:                              # fragment header
            if plen < 8:
                c.stats.bad_ip += 1
                return DEC_SKIP
            foff = be16(d + 2) & 0xFFF8
            if foff == 0 and (d[3] & 1) == 0:       # atomic fragment: not really fragmented
                nh = d[0]
                d += 8
                plen -= 8
                wire_plen -= 8 if wire_plen >= 8 else wire_plen
                continue
            if reassembled:
                # A fragment header inside a reassembled datagram (RFC 8200 allows one
                # per packet): malformed, and a loop an attacker could chain.
                c.stats.bad_ip += 1
                return DEC_SKIP
            reassembled = 1
            out = frag_add(c, 6, p.src, p.dst, be32(d + 4), d[0], foff, (d[3] & 1) != 0,
                           d + 8, plen - 8, p, depth, &outlen)
            if out == NULL:
                return DEC_SKIP
            nh = p.proto
            d = out
            plen = outlen
            wire_plen = outlen
        else:
            break
    return dec_l4(c, nh, d, plen, wire_plen, p, depth)


cdef inline int looks_like_ip(const uint8_t* d, uint32_t n) noexcept nogil:
    if n >= 20 and (d[0] >> 4) == 4 and (d[0] & 0x0F) >= 5:
        return 1
    if n >= 40 and (d[0] >> 4) == 6:
        return 1
    return 0


cdef int dec_gre(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    cdef uint16_t fl, pt
    cdef uint32_t off = 4
    if n < 4:
        c.stats.bad_l4 += 1
        return DEC_SKIP
    fl = be16(d)
    pt = be16(d + 2)
    if (fl & 7) == 0:
        if fl & 0x4000:                             # source routing (RFC 1701): obsolete, not decoded
            return DEC_OK
        if fl & 0x8000:
            off += 4                                # checksum + reserved
        if fl & 0x2000:
            off += 4                                # key
        if fl & 0x1000:
            off += 4                                # sequence number
    elif (fl & 7) == 1:                             # enhanced GRE (PPTP): key always, seq/ack optional
        off += 4
        if fl & 0x1000:
            off += 4
        if fl & 0x0080:
            off += 4
    else:
        return DEC_OK                               # unknown GRE version: keep as a GRE flow
    if off > n:
        c.stats.bad_l4 += 1
        return DEC_SKIP
    d += off
    n -= off
    if pt == 0x0800 or pt == 0x86DD or pt == 0x6558 or pt == 0x880B or pt == 0x88BE or pt == 0x22EB \
            or pt == 0x8847:
        p.tunnel |= TUN_GRE
        c.stats.tunneled += 1
    else:
        return DEC_OK                               # WCCP, keepalives, ...: a GRE flow of its own
    if pt == 0x880B:
        return dec_ppp(c, d, n, p, depth + 1)
    if pt == 0x6558:                                # transparent Ethernet bridging
        if n < 14:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d + 12), d + 14, n - 14, p, depth + 1)
    if pt == 0x88BE:                                # ERSPAN type II has an 8-byte header when sequenced
        if fl & 0x1000:
            if n < 8:
                c.stats.bad_link += 1
                return DEC_SKIP
            d += 8
            n -= 8
        if n < 14:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d + 12), d + 14, n - 14, p, depth + 1)
    if pt == 0x22EB:                                # ERSPAN type III: 12 bytes, 8 more with the O bit
        if n < 12:
            c.stats.bad_link += 1
            return DEC_SKIP
        off = 20 if (d[11] & 1) else 12
        if n < off + 14:
            c.stats.bad_link += 1
            return DEC_SKIP
        return dec_ethertype(c, be16(d + off + 12), d + off + 14, n - off - 14, p, depth + 1)
    return dec_ethertype(c, pt, d, n, p, depth + 1)


cdef int capwap_data(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    """CAPWAP data channel (RFC 5415/5416): an unencrypted, unfragmented header, then an
    IEEE 802.3 frame (T=0) or an IEEE 802.11 data frame (T=1, WBID 1) carrying LLC/SNAP.
    Returns DEC_OK (0) when it is not such a packet, else the inner result | 2."""
    cdef uint32_t hlen, off
    cdef uint8_t fc0, fc1
    cdef uint16_t et
    if n < 8 or d[0] != 0:                          # version 0, type 0 (1 would be DTLS)
        return DEC_OK
    hlen = (<uint32_t>(d[1] >> 3)) * 4
    if hlen < 8 or hlen >= n or (d[3] & 0x80):      # F: a fragment; not reassembled here
        return DEC_OK
    d += hlen
    n -= hlen
    if not (d - hlen)[2] & 1:                       # T=0: an Ethernet frame
        if n < 14:
            return DEC_OK
        et = be16(d + 12)
        if et != 0x0800 and et != 0x86DD and et != 0x8100 and et != 0x88A8:
            return DEC_OK
        p.tunnel |= TUN_CAPWAP
        c.stats.tunneled += 1
        return dec_ethertype(c, et, d + 14, n - 14, p, depth + 1) | 2
    if (((d - hlen)[2] >> 1) & 0x1F) != 1 or n < 24:
        return DEC_OK
    fc0 = d[0]
    fc1 = d[1]
    if (fc0 & 0x0C) != 0x08 and (fc1 & 0x0C) == 0x08:
        fc0 = d[1]                                  # Cisco controllers send the frame
        fc1 = d[0]                                  # control field byte-swapped
    if (fc0 & 0x0C) != 0x08 or (fc0 & 0x40) or (fc1 & 0x40):
        return DEC_OK                               # not a data frame with data, or protected
    off = 24
    if (fc1 & 0x03) == 0x03:
        off += 6                                    # four addresses (WDS)
    if fc0 & 0x80:
        off += 2                                    # QoS control
        if fc1 & 0x80:
            off += 4                                # HT control
    if n < off + 8 or d[off] != 0xAA or d[off + 1] != 0xAA or d[off + 2] != 0x03:
        return DEC_OK
    et = be16(d + off + 6)
    if et != 0x0800 and et != 0x86DD:
        return DEC_OK
    p.tunnel |= TUN_CAPWAP
    c.stats.tunneled += 1
    return dec_ethertype(c, et, d + off + 8, n - off - 8, p, depth + 1) | 2


cdef int udp_tunnel(Core* c, const uint8_t* d, uint32_t n, Pkt* p, int depth) noexcept nogil:
    """Decapsulate VXLAN, CAPWAP data or GTP-U if the UDP payload really is one; DEC_OK
    means "not a tunnel"."""
    cdef uint32_t off
    cdef int rc
    cdef uint8_t nxt
    cdef uint16_t et
    if p.dport == 4789 or p.dport == 8472:
        # VXLAN: flags with the I bit, reserved fields zero, then an Ethernet frame.
        if n >= 8 + 14 and (d[0] & 0x08) and d[7] == 0:
            et = be16(d + 8 + 12)
            if et == 0x0800 or et == 0x86DD or et == 0x8100 or et == 0x0806 or et == 0x88A8:
                p.tunnel |= TUN_VXLAN
                c.stats.tunneled += 1
                return dec_ethertype(c, et, d + 8 + 14, n - 8 - 14, p, depth + 1) | 2
    if p.dport == 5247 or p.sport == 5247:
        rc = capwap_data(c, d, n, p, depth)
        if rc != DEC_OK:
            return rc
    if p.dport == 2152 or p.sport == 2152:
        # GTP-U version 1, protocol type GTP, message G-PDU (0xFF), then an IP packet.
        if n >= 8 and (d[0] >> 5) == 1 and (d[0] & 0x10) and d[1] == 0xFF:
            off = 8
            if d[0] & 0x07:
                if n < 12:
                    return DEC_OK
                off = 12
                nxt = d[11] if (d[0] & 0x04) else 0
                while nxt != 0:
                    if off >= n or d[off] == 0 or off + d[off] * 4 > n:
                        return DEC_OK
                    nxt = d[off + d[off] * 4 - 1]
                    off += d[off] * 4
            if looks_like_ip(d + off, n - off):
                p.tunnel |= TUN_GTPU
                c.stats.tunneled += 1
                return dec_ip_any(c, d + off, n - off, p, depth + 1) | 2
    return DEC_OK


cdef int dec_l4(Core* c, uint8_t proto, const uint8_t* d, uint32_t n, uint32_t wire, Pkt* p,
                int depth) noexcept nogil:
    cdef uint32_t doff, ulen
    cdef int rc
    cdef uint8_t outer = p.ipver
    if wire < n:
        wire = n
    p.proto = proto
    p.sport = 0
    p.dport = 0
    p.tcp_flags = 0
    p.seq = 0
    if proto == 6:
        if n < 20:
            c.stats.bad_l4 += 1
            return DEC_SKIP
        doff = (d[12] >> 4) * 4
        if doff < 20 or doff > n:
            c.stats.bad_l4 += 1
            return DEC_SKIP
        p.sport = be16(d)
        p.dport = be16(d + 2)
        p.seq = be32(d + 4)
        p.ack = be32(d + 8)
        p.tcp_flags = d[13]
        p.payload = d + doff
        p.paylen = n - doff
        p.l4len = wire - doff
        return DEC_OK
    if proto == 17:
        if n < 8:
            c.stats.bad_l4 += 1
            return DEC_SKIP
        p.sport = be16(d)
        p.dport = be16(d + 2)
        ulen = be16(d + 4)
        if ulen == 0:                               # jumbogram / offload: take what is there
            ulen = n
        elif ulen < 8:
            c.stats.bad_l4 += 1
            return DEC_SKIP
        p.l4len = ulen - 8
        if ulen > n:
            ulen = n                                # snapped
        p.payload = d + 8
        p.paylen = ulen - 8                         # also trims Ethernet padding
        if c.cfg.decap and depth < MAX_DEPTH:
            rc = udp_tunnel(c, p.payload, p.paylen, p, depth)
            if rc & 2:
                return rc & 1
        return DEC_OK
    if c.cfg.decap:
        if proto == 4 or proto == 41:               # IP in IP
            if proto == 4:
                p.tunnel |= TUN_4IN4 if outer == 4 else TUN_4IN6
                c.stats.tunneled += 1
                return dec_ipv4(c, d, n, p, depth + 1)
            p.tunnel |= TUN_6IN4 if outer == 4 else TUN_6IN6
            c.stats.tunneled += 1
            return dec_ipv6(c, d, n, p, depth + 1)
        if proto == 47:
            rc = dec_gre(c, d, n, p, depth)
            if rc == DEC_OK and p.proto == 47:
                p.payload = d
                p.paylen = n
                p.l4len = wire
            return rc
    if proto == 51 and outer == 4 and n >= 8:       # IPv4 AH: skip it, the payload follows
        doff = (<uint32_t>d[1] + 2) * 4
        if doff <= n:
            return dec_l4(c, d[0], d + doff, n - doff, wire - doff, p, depth)
    # ICMP, ESP, SCTP, ...: a flow without ports; its payload is not kept.
    p.payload = d
    p.paylen = n
    p.l4len = wire
    return DEC_OK
