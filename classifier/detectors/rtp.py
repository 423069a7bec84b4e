"""RTP (RFC 3550) over UDP, also SRTP (same clear header).  Statistical: version 2, a
payload type outside the RTCP range, and consecutive packets of one direction with the
same SSRC and a small sequence step.  Needs two packets; one is never enough because a
12-byte header with version 2 appears in random data one time in four.
Metadata: payload_type, ssrc.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter


# probe(view, state): per direction, the headers of the first six datagrams (version 2,
# payload type outside RTCP's 72-76, CSRCs present); two consecutive ones with one SSRC
# and payload type and a sequence step of 1-16 make the match (0.8); a single header
# after a STUN exchange is media by RFC 7983 (0.75); STUN/DTLS datagrams and RTCP
# multiplexed on the same 5-tuple (RFC 5761: second byte 192-223) are skipped,
# anything else is not RTP.  Metadata: payload_type, ssrc.  Compiled: rtp.pxi.
probe = _fast.rtp_probe


SPEC = DetectorSpec(name="rtp", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(range(0x80, 0xC0)) | {0, 1},
                                                       s2c=frozenset(range(0x80, 0xC0)) | {0, 1}), max_confidence=0.8,
                    # never one datagram: two headers of one stream, or a STUN exchange
                    # and then a header
                    gate=Gate(units=2))
