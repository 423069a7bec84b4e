"""SMTP (RFC 5321): ``220`` greeting, then EHLO/HELO; shares the FTP/SMTP decision
(ftp.decide) so the two never both claim a 220 greeting.  Metadata: banner, helo.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec
from .ftp import decide

_HELO = re.compile(rb"(?im)^(?:EHLO|HELO) ([^\r\n]{1,255})")


def probe(view, state):
    v, banner = decide("smtp", view)
    if v == "no":
        return NO                         # not a 220 greeting, or the FTP side of the rule
    if v == "more":
        return MORE
    m = _HELO.search(view.payload_c2s)
    conf = {"yes": 1.0, "weak": 0.8, "ambiguous": 0.55}[v]
    return claim("smtp", conf, banner=dec(banner) if banner else None,
                 helo=dec(m.group(1)) if m else None)


SPEC = DetectorSpec(name="smtp", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=8, prefilter=Prefilter(c2s=frozenset(b"EHMRDQSehmrdqs"),
                                                       s2c=frozenset(b"12345")))
