"""RADIUS (RFC 2865/2866/5176) over UDP: code, identifier, length equal to the datagram
length, 16-byte authenticator, then attributes that must tile the rest exactly.
Metadata: code name, user_name when present.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

CODES = {1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject",
         4: "Accounting-Request", 5: "Accounting-Response", 11: "Access-Challenge",
         12: "Status-Server", 13: "Status-Client", 40: "Disconnect-Request",
         41: "Disconnect-ACK", 42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK",
         45: "CoA-NAK"}


# parse(dg) -> metadata dict, None (not RADIUS) or MORE (too short to tell): a known
# code, the length field equal to the datagram's size (20..4096), a well-formed first
# attribute, attributes tiling the rest (a damaged list after 3 good attributes:
# "malformed"; a Vendor-Specific attribute whose Vendor-Id starts with the zero octet
# and whose vendor sub-attributes tile it, RFC 2865 5.26, adds its sub-attributes to
# the count); user_name from attribute 1.
# probe(view, state): every datagram must parse; the first one's metadata (0.95, 0.55
# when malformed).  Compiled: radius.pxi.
parse = _fast.radius_parse
probe = _fast.radius_probe


SPEC = DetectorSpec(name="radius", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(CODES), s2c=frozenset(CODES)), max_confidence=0.95,
                    # Every datagram is a packet of 20 bytes or more whose length field is
                    # its size.
                    gate=Gate(min_len=20, length=(2, 2, 0)))
