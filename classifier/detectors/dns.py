"""DNS (RFC 1035) over UDP, and over TCP with its 2-byte length prefix.
The transaction id is random, so the prefilter cannot narrow on the first byte.

Shares the DNS wire parser and the flavour rule with dns/mdns/llmnr/netbios-ns
(_dnswire.flavour), so exactly one of the four claims a DNS-format message.
Metadata: qname, qtype, response (and rcode).
"""
from .base import ANY, DetectorSpec
from ._dnsfamily import LONE_GATE, make_probe

probe = make_probe("dns", 0.9)

SPEC = DetectorSpec(name="dns", transports=("tcp", "udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=ANY, gate=LONE_GATE)
