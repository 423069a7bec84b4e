"""DNS message parser shared by dns, mdns, llmnr and netbios-ns (RFC 1035 / 6762 /
4795 / 1002 all use the same header and question format).

``parse(msg)`` returns a Message or None (not DNS) or MORE_NEEDED (valid prefix).
``flavour(msg)`` decides, from the payload alone, which of the four it is.
"""
from __future__ import annotations

from . import _fast

MORE_NEEDED = _fast.DNS_MORE      # "more"

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX",
          16: "TXT", 28: "AAAA", 32: "NB", 33: "SRV", 35: "NAPTR", 41: "OPT", 43: "DS",
          46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 99: "SPF",
          252: "AXFR", 255: "ANY"}


# Message(txid, response, opcode, rcode, qd, an, ns, ar, qname, qtype, qclass,
# raw_labels, exact=False): one parsed message (qname/qtype/qclass None without a
# question; exact: every section parsed and the last record ends the message).
# Compiled (_wire_dns.pxi) with the slotted dataclass's constructor, equality and repr.
Message = _fast.DnsMessage


# The parser itself is compiled (_wire_dns.pxi): parse(msg) -> Message, None (not DNS)
# or MORE_NEEDED (valid prefix).  Its answers are recorded in
# tests/detectors/data/probe_answers/dns.jsonl (tests/detectors/probe_answers.py).
parse = _fast.dns_parse


# Labels are binary-safe on the wire (RFC 2181 11): resolvers forward names with control
# characters, so label bytes are not filtered; the message structure does the filtering.


def decode_netbios(label: bytes) -> str:
    raw = bytes(((label[i] - 0x41) << 4) | (label[i + 1] - 0x41) for i in range(0, 32, 2))
    # The 15 name bytes, their padding dropped: spaces, or NULs after the wildcard "*"
    # (RFC 1002 4.2.17 node status queries).
    return raw[:15].decode("latin-1").rstrip("\x00").rstrip()


# flavour(m) -> "dns", "mdns", "llmnr" or "netbios-ns", from the message alone (never
# the port), the header deciding with the name: a NetBIOS-encoded first label (32
# letters A-P) with qtype NB/NBSTAT or no question is netbios-ns; any other opcode than
# QUERY is dns; the QU bit, an answer without its question (AA enforced by parse),
# several questions in a query without RD, or id 0 with RD and RA clear for a .local/.arpa name is mdns
# (RFC 6762 5.4, 6, 7.2, 18); one A/AAAA/ANY question for a single label or a .local
# name with AA/C, RD/T, RA and the Z field all clear (no authority records; a query
# without answers) is llmnr (RFC 4795 2.1.1); a question under .local without RD is
# mdns; else dns -- a resolver asked for an Active Directory ".local" name sets RD.
# A flow's flavour is its first response's, else its first query's (_dnsfamily.pxi
# dns_parse_all); TCP carries dns (or netbios-ns) only.
# describe(m) -> metadata: qname, response, qtype (its name), rcode of a response.
# Compiled: _wire_dns.pxi; answers recorded in tests/detectors/data/probe_answers/.
flavour = _fast.dns_flavour
describe = _fast.dns_describe
