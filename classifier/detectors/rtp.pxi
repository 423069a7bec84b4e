# RTP probe, compiled.
# Included by _fast.pyx (one extension); rtp.py exports it.
# Uses stun.pxi's _stun_cookie (STUN multiplexed on the flow).
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef struct RtpHdr:
    unsigned int pt, seq
    uint32_t ssrc


cdef inline bint _rtp_hdr(const uint8_t* d, Py_ssize_t n, RtpHdr* h) noexcept:
    """rtp._hdr: a version-2 header whose payload type is not RTCP's, CSRCs included."""
    cdef unsigned int pt
    if n < 12 or d[0] >> 6 != 2:
        return False
    pt = d[1] & 0x7F
    if 72 <= pt <= 76:
        return False                      # these payload types collide with RTCP
    if 12 + 4 * (d[0] & 0x0F) > n:
        return False
    h.pt = pt
    h.seq = (d[2] << 8) | d[3]
    h.ssrc = (<uint32_t>d[8] << 24) | (d[9] << 16) | (d[10] << 8) | d[11]
    return True


def rtp_probe(view, state):
    """rtp.probe: per direction, consecutive headers of the first six datagrams with one
    SSRC and payload type and small sequence steps; STUN/DTLS datagrams skipped."""
    cdef RtpHdr hs[6]
    cdef RtpHdr best, single
    cdef bint has_best = False, has_single = False, pending = False, stun_seen = False
    cdef Py_ssize_t skipped = 0, nh, n, k
    cdef unsigned int step
    cdef const uint8_t* p
    cdef bytes d
    best.pt = best.seq = best.ssrc = single.pt = single.seq = single.ssrc = 0
    _outcomes()
    c2s, s2c = view.datagrams_c2s, view.datagrams_s2c
    for u in list(c2s) + list(s2c):
        if u:
            d = u if type(u) is bytes else bytes(u)
            p = _buf(d, &n)
            if (p[0] == 0 or p[0] == 1) and n >= 8 and _stun_cookie(p + 4):
                stun_seen = True
                break
    for dgs in (c2s, s2c):
        nh = 0
        for u in dgs[:6]:
            if not u:
                continue
            d = u if type(u) is bytes else bytes(u)
            p = _buf(d, &n)
            if n >= 8 and p[0] >> 6 == 2 and 192 <= p[1] <= 223:
                # RTCP multiplexed on the RTP 5-tuple (RFC 5761 4: packet types 192-223
                # are what RTP payload types 64-95 with the marker bit would be): skip.
                skipped += 1
                continue
            if not _rtp_hdr(p, n, &hs[nh]):
                # STUN/DTLS interleave with media on WebRTC 5-tuples (RFC 7983): skip
                # them, but anything else than those breaks the RTP pattern.
                if p[0] < 4 or 20 <= p[0] <= 63:
                    skipped += 1
                    continue
                return _NO
            nh += 1
        if nh == 1:
            pending = True
            if not has_single:
                single = hs[0]
                has_single = True
        for k in range(nh - 1):
            step = (hs[k + 1].seq - hs[k].seq) & 0xFFFF
            if hs[k].ssrc == hs[k + 1].ssrc and hs[k].pt == hs[k + 1].pt and 0 < step <= 16:
                if not has_best:
                    best = hs[k]
                    has_best = True
            elif hs[k].ssrc != hs[k + 1].ssrc:
                return _NO                # a new SSRC every packet: not a stream
            elif step == 0:
                pending = True            # a duplicated packet (capture artefact): wait
    if has_best:
        return _claim("rtp", 0.8, {"payload_type": best.pt, "ssrc": f"{best.ssrc:08x}"})
    if has_single and stun_seen:
        # After an ICE STUN exchange, a version-2 header with a non-RTCP payload type
        # is media by RFC 7983's demultiplexing rule.
        return _claim("rtp", 0.75, {"payload_type": single.pt, "ssrc": f"{single.ssrc:08x}"})
    # Only STUN/DTLS so far (an ICE exchange): media may follow.
    return _MORE if pending or skipped or not (c2s or s2c) else _NO
