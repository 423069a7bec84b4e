"""DHCPv6 (RFC 8415) over UDP: message type 1-13 (or relay 12/13), 3-byte transaction id,
then options (code, length) that must tile the datagram exactly.
Metadata: message_type.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

TYPES = {1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW",
         6: "REBIND", 7: "REPLY", 8: "RELEASE", 9: "DECLINE", 10: "RECONFIGURE",
         11: "INFORMATION-REQUEST", 12: "RELAY-FORW", 13: "RELAY-REPL"}


# probe(view, state): the first non-empty datagram decides: a TYPES message type, then
# options (code 1-300, 2-byte length) tiling the rest exactly from offset 4 (34 for
# relay messages), among them a client/server identifier (1/2) or a relay message (9).
# 0.95; metadata: message_type.  Compiled: dhcpv6.pxi.
probe = _fast.dhcpv6_probe


SPEC = DetectorSpec(name="dhcpv6", transports=("udp",), probe=probe, max_bytes=1500,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(TYPES), s2c=frozenset(TYPES)), max_confidence=0.95,
                    # A lone datagram decides alone: after the header (4 bytes, 34 for the
                    # relay types 12 and 13) an option code 1-300, so the next byte is 0 or 1.
                    gate=(Gate(lone=True, min_len=8, bytes=((0, 0xFF, 0, 11), (4, 0xFF, 0, 1))),
                          Gate(lone=True, min_len=8, bytes=((0, 0xFF, 14, 255), (4, 0xFF, 0, 1))),
                          Gate(lone=True, min_len=38, bytes=((0, 0xFF, 12, 13), (34, 0xFF, 0, 1)))))
