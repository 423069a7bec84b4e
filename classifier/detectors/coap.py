"""CoAP (RFC 7252) over UDP: version 1, type, token length <= 8, code class 0/2/4/5,
message id, token, options (delta/length nibbles, 15 reserved) and an optional payload
after the 0xFF marker.  Metadata: type, code, uri_path.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

TYPES = ("CON", "NON", "ACK", "RST")
# Registered option numbers (RFC 7252 12.2, 7641, 7959, 8613, 9175).
OPTIONS = frozenset((1, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39,
                     60, 258, 292, 2049, 2050, 2051, 2052))
CODES = frozenset([0] + [(0 << 5) | d for d in range(1, 8)]
                  + [(2 << 5) | d for d in (1, 2, 3, 4, 5, 31)]
                  + [(4 << 5) | d for d in (0, 1, 2, 3, 4, 5, 6, 8, 12, 13, 15, 29)]
                  + [(5 << 5) | d for d in range(0, 6)])


# probe(view, state): every datagram a CoAP message (RFC 7252 3): version 1, token
# length <= 8, a registered code (the Empty message exactly 4 bytes), a type the code
# may ride (4.5 Table 1: requests CON/NON, responses CON/NON/ACK, Empty CON/ACK/RST),
# no request option (Uri-*, Proxy-*) in a response, options whose
# deltas and lengths (with their extended bytes) walk to the payload marker (followed
# by payload) or the end.  The first message decides: a lone one must be a request
# with registered option numbers only and a printable URI part (Uri-Host/Path/Query,
# Proxy-*) of 3 bytes or more, or carry two printable options, one of 3 bytes or more,
# and no more unknown options than printable ones (else MORE); a Uri-Path (requests
# only) or two messages 0.95, else 0.7.  Metadata: type, code (c.dd), uri_path.  Compiled:
# coap.pxi.
probe = _fast.coap_probe


SPEC = DetectorSpec(name="coap", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0x40, 0x80)),
                                                       s2c=frozenset(range(0x40, 0x80))), max_confidence=0.95,
                    # Every datagram parses: 4 bytes or more, version 1, token length 0-8,
                    # a CODES code byte (0.00-0.07, 2.01-2.31, 4.00-4.29, 5.00-5.05).
                    gate=Gate(min_len=4, bytes=((0, 0xC0, 0x40, 0x40), (0, 0x0F, 0, 8)),
                              forms=(((1, 0xFF, 0, 7),), ((1, 0xFF, 65, 95),), ((1, 0xFF, 128, 157),),
                                     ((1, 0xFF, 160, 165),))))
