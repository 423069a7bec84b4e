"""Multicast DNS (RFC 6762): DNS format; id 0 with RD/RA clear, the QU bit, answers
without their question (authoritative), several questions -- for .local names and the
reverse zones.  A .local name asked of a resolver (RD set) is dns.

Shares the DNS wire parser and the flavour rule with dns/mdns/llmnr/netbios-ns
(_dnswire.flavour), so exactly one of the four claims a DNS-format message.
Metadata: qname, qtype, response (and rcode).
"""
from .base import ANY, DetectorSpec
from ._dnsfamily import LONE_GATE, make_probe

probe = make_probe("mdns", 0.95)

SPEC = DetectorSpec(name="mdns", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=ANY, gate=LONE_GATE)
