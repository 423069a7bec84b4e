"""DHCP (RFC 2131) / BOOTP over UDP: op 1/2, hardware length <= 16, the magic cookie
63 82 53 63 at offset 236, then options.  Metadata: message_type, hostname, vendor_class.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Prefilter

COOKIE = b"\x63\x82\x53\x63"
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
         7: "RELEASE", 8: "INFORM"}


# probe(view, state): the first datagram decides (DHCP flows carry only DHCP): op 1/2,
# at least 240 bytes, hlen <= 16 and the magic COOKIE at 236; then options up to END.
# 1.0; metadata: message_type (53), hostname (12), vendor_class (60).  Compiled:
# dhcp.pxi.
probe = _fast.dhcp_probe


SPEC = DetectorSpec(name="dhcp", transports=("udp",), probe=probe, max_bytes=1500,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset((1, 2)), s2c=frozenset((1, 2))))
