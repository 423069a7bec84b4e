"""DNS message parser shared by dns, mdns, llmnr and netbios-ns (RFC 1035 / 6762 /
4795 / 1002 all use the same header and question format).

``parse(msg)`` returns a Message or None (not DNS) or MORE_NEEDED (valid prefix).
``flavour(msg)`` decides, from the payload alone, which of the four it is.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import _fast

MORE_NEEDED = _fast.DNS_MORE      # "more"

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX",
          16: "TXT", 28: "AAAA", 32: "NB", 33: "SRV", 35: "NAPTR", 41: "OPT", 43: "DS",
          46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 99: "SPF",
          252: "AXFR", 255: "ANY"}


@dataclass(slots=True)
class Message:
    txid: int
    response: bool
    opcode: int
    rcode: int
    qd: int
    an: int
    ns: int
    ar: int
    qname: str | None
    qtype: int | None
    qclass: int | None
    raw_labels: list
    exact: bool = False     # every section parsed and the last record ends the message


# The parser itself is compiled (_fast_dns.pxi): parse(msg) -> Message, None (not DNS)
# or MORE_NEEDED (valid prefix).  Its pure-Python original is the test oracle in
# tests/detectors/reference_parsers.py.
parse = _fast.dns_parse


# Labels are binary-safe on the wire (RFC 2181 11): resolvers forward names with control
# characters, so label bytes are not filtered; the message structure does the filtering.


def _netbios_name(labels) -> bool:
    # RFC 1001 first-level encoding: 32 characters 'A'..'P' (two per name byte).
    return (len(labels) >= 1 and len(labels[0]) == 32
            and all(0x41 <= b <= 0x50 for b in labels[0]))


def decode_netbios(label: bytes) -> str:
    raw = bytes(((label[i] - 0x41) << 4) | (label[i + 1] - 0x41) for i in range(0, 32, 2))
    return raw[:15].decode("latin-1").rstrip()


def flavour(m: Message) -> str:
    """dns, mdns, llmnr or netbios-ns, from the message alone (never the port)."""
    if _netbios_name(m.raw_labels) and (m.qtype in (32, 33) or m.qtype is None):
        return "netbios-ns"
    last = m.raw_labels[-1].lower() if m.raw_labels else b""
    if last == b"local" and len(m.raw_labels) >= 2:
        # Names under .local are multicast DNS (RFC 6762 3).  "local." itself is asked
        # of unicast DNS (SOA probe, RFC 6762 appendix G), so it does not count.
        return "mdns"
    if m.txid == 0 and (last == b"arpa" or (m.qclass or 0) & 0x8000 or m.qd == 0):
        # mDNS uses id 0 (RFC 6762 18.1) and the QU/cache-flush bit.
        return "mdns"
    if len(m.raw_labels) == 1 and m.opcode == 0 and m.qd == 1 and m.qtype in (1, 28, 255) \
            and last not in (b"localhost",) and m.ns == 0:
        # LLMNR resolves single-label names (RFC 4795 2); a DNS resolver would append
        # a search domain before sending a bare name.
        return "llmnr"
    return "dns"


def describe(m: Message) -> dict:
    meta = {"qname": m.qname, "response": m.response}
    if m.qtype is not None:
        meta["qtype"] = QTYPES.get(m.qtype, str(m.qtype))
    if m.response:
        meta["rcode"] = m.rcode
    return meta
