"""NetBIOS Name Service (RFC 1002): DNS-like header, 32-char encoded names.

Shares the DNS wire parser and the flavour rule with dns/mdns/llmnr/netbios-ns
(_dnswire.flavour), so exactly one of the four claims a DNS-format message.
Metadata: qname, qtype, response (and rcode).
"""
from .base import ANY, DetectorSpec
from ._dnsfamily import LONE_GATE, make_probe

probe = make_probe("netbios-ns", 0.95)

SPEC = DetectorSpec(name="netbios-ns", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=ANY, gate=LONE_GATE)
