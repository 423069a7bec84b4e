"""RTP (RFC 3550) over UDP, also SRTP (same clear header).  Statistical: version 2, a
payload type outside the RTCP range, and consecutive packets of one direction with the
same SSRC and a small sequence step.  Needs two packets; one is never enough because a
12-byte header with version 2 appears in random data one time in four.
Metadata: payload_type, ssrc.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match


def _hdr(dg: bytes):
    if len(dg) < 12 or dg[0] >> 6 != 2:
        return None
    pt = dg[1] & 0x7F
    if 72 <= pt <= 76:
        return None                       # these payload types collide with RTCP
    cc = dg[0] & 0x0F
    if 12 + 4 * cc > len(dg):
        return None
    return pt, int.from_bytes(dg[2:4], "big"), int.from_bytes(dg[4:8], "big"), dg[8:12]


def probe(view, state):
    best = None
    pending = False
    skipped = 0
    stun_seen = any(dg[:1] in (b"\x00", b"\x01") and dg[4:8] == b"\x21\x12\xa4\x42"
                    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c))
    single = None
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        hs = []
        for dg in dgs[:6]:
            if not dg:
                continue
            h = _hdr(dg)
            if h is None:
                # STUN/DTLS interleave with media on WebRTC 5-tuples (RFC 7983): skip
                # them, but anything else than those breaks the RTP pattern.
                if dg[0] < 4 or 20 <= dg[0] <= 63:
                    skipped += 1
                    continue
                return NO
            hs.append(h)
        if len(hs) == 1:
            pending = True
            single = single or hs[0]
        for a, b in zip(hs, hs[1:]):
            step = (b[1] - a[1]) & 0xFFFF
            if a[3] == b[3] and a[0] == b[0] and 0 < step <= 16:
                best = best or a
            elif a[3] != b[3]:
                return NO                 # a new SSRC every packet: not a stream
            elif step == 0:
                pending = True            # a duplicated packet (capture artefact): wait
    if best:
        return match("rtp", 0.8, payload_type=best[0], ssrc=best[3].hex())
    if single and stun_seen:
        # After an ICE STUN exchange, a version-2 header with a non-RTCP payload type
        # is media by RFC 7983's demultiplexing rule.
        return match("rtp", 0.75, payload_type=single[0], ssrc=single[3].hex())
    # Only STUN/DTLS so far (an ICE exchange): media may follow.
    return MORE if pending or skipped or not (view.datagrams_c2s or view.datagrams_s2c) else NO


SPEC = DetectorSpec(name="rtp", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(range(0x80, 0xC0)) | {0, 1},
                                                       s2c=frozenset(range(0x80, 0xC0)) | {0, 1}), max_confidence=0.8)
