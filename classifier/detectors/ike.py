"""IKE / ISAKMP (RFC 2408, IKEv2 RFC 7296) over UDP, including the NAT-T form with a
4-byte zero "non-ESP marker" (RFC 3948).  Header: initiator SPI (never zero), responder
SPI, next payload, version 0x10 or 0x20, exchange type, flags, message id, length equal
to the message.  NAT-T keepalives (one 0xFF byte) are accepted alongside.
Metadata: ike_version, exchange.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

EXCH_V1 = {0: "none", 1: "base", 2: "identity-protection", 3: "auth-only",
           4: "aggressive", 5: "informational", 32: "quick-mode", 33: "new-group"}
EXCH_V2 = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}


# parse(datagram) -> metadata dict, None or MORE: the NAT-T marker skipped, a 28-byte
# header with a non-zero initiator SPI, the length equal to the message, version 1
# (exchange types 0-5, 32, 33) or 2 (34-37) with a plausible next payload; probe(view,
# state): every datagram but NAT-T keepalives parsed, one IKE header makes the match,
# two datagrams without any a NO.  Compiled: ike.pxi.
parse = _fast.ike_parse
probe = _fast.ike_probe


SPEC = DetectorSpec(name="ike", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(any=True),
                    # A lone datagram matches only as an IKE header (version 1.0 or 2.0 at
                    # byte 17) whose length field (bytes 24-27) is the datagram's length;
                    # or the same behind NAT-T's four zero bytes (ike.pxi _ike_parse).
                    gate=(Gate(lone=True, min_len=28, length=(24, 4, 0), bytes=((17, 0xff, 0x10, 0x20),)),
                          Gate(lone=True, min_len=32, length=(28, 4, 4),
                               bytes=((0, 0xff, 0, 0), (1, 0xff, 0, 0), (2, 0xff, 0, 0), (3, 0xff, 0, 0),
                                      (21, 0xff, 0x10, 0x20)))))
