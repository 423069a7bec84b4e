"""DTLS over UDP (RFC 6347 / 9147): 13-byte record header (type, version, epoch,
48-bit sequence, length); records never span datagrams, so the records of a datagram
must chain exactly to its end.  On WebRTC 5-tuples DTLS shares the flow with STUN and
SRTP (RFC 7983 demultiplexing by first byte); those datagrams are skipped, not held
against DTLS.  Metadata: version, sni, alpn, supported_versions.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

_TYPES = frozenset((0x14, 0x15, 0x16, 0x17, 0x19))   # 0x19: DTLS 1.2 CID record (RFC 9146)
_VERSIONS = (0xFEFF, 0xFEFD, 0x0100)                  # 0x0100: OpenSSL pre-RFC DTLS


# probe(view, state): every datagram that is not STUN/TURN/RTP (RFC 7983 first bytes
# 0-3, 64-79, 128-191: skipped) must be a chain of 13-byte-header records ending exactly
# at the datagram's end (a record cut by the byte budget is excused in the last kept
# datagram of a side); one odd datagram is tolerated.  Epoch-0 Client/ServerHello
# handshakes give the metadata (1.0, 0.9 with an odd datagram); records alone 0.8 (two
# datagrams) or 0.75.  Compiled: dtls.pxi.
probe = _fast.dtls_probe


SPEC = DetectorSpec(name="dtls", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=6, prefilter=Prefilter(c2s=_TYPES | {0, 1}, s2c=_TYPES | {0, 1}),
                    # A lone datagram matches only as a whole chain of records: a 13-byte
                    # header or more, a record type, a version FEFF, FEFD or 0100.
                    gate=Gate(lone=True, min_len=13, bytes=((0, 0xFF, 0x14, 0x19),),
                              forms=(((1, 0xFF, 0xFE, 0xFE), (2, 0xFF, 0xFD, 0xFF)),
                                     ((1, 0xFF, 0x01, 0x01), (2, 0xFF, 0x00, 0x00)))))
