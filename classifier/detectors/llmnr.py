"""LLMNR (RFC 4795): DNS format asking for a single-label (or .local) name, with every
flag bit clear (no RD, the C/T/Z bits zero) and no AA in the answer.

Shares the DNS wire parser and the flavour rule with dns/mdns/llmnr/netbios-ns
(_dnswire.flavour), so exactly one of the four claims a DNS-format message.
Metadata: qname, qtype, response (and rcode).
"""
from .base import ANY, DetectorSpec
from ._dnsfamily import LONE_GATE, make_probe

probe = make_probe("llmnr", 0.9)

SPEC = DetectorSpec(name="llmnr", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=ANY, gate=LONE_GATE)
