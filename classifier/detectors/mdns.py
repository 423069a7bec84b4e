"""Multicast DNS (RFC 6762): DNS format, id 0, .local names, QU/cache-flush bits.

Shares the DNS wire parser and the flavour rule with dns/mdns/llmnr/netbios-ns
(_dnswire.flavour), so exactly one of the four claims a DNS-format message.
Metadata: qname, qtype, response (and rcode).
"""
from .base import ANY, DetectorSpec
from ._dnsfamily import make_probe

probe = make_probe("mdns", 0.95)

SPEC = DetectorSpec(name="mdns", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=ANY)
