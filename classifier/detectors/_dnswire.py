"""DNS message parser shared by dns, mdns, llmnr and netbios-ns (RFC 1035 / 6762 /
4795 / 1002 all use the same header and question format).

``parse(msg)`` returns a Message or None (not DNS) or MORE_NEEDED (valid prefix).
``flavour(msg)`` decides, from the payload alone, which of the four it is.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

MORE_NEEDED = "more"

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


def _name(msg: bytes, pos: int, depth: int = 0):
    """(labels, next_pos) following compression pointers; raises ValueError."""
    labels = []
    total = 0
    while True:
        if pos >= len(msg):
            raise IndexError
        n = msg[pos]
        if n == 0:
            return labels, pos + 1
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise IndexError
            ptr = ((n & 0x3F) << 8) | msg[pos + 1]
            if depth > 8 or ptr >= pos:
                raise ValueError("bad pointer")    # pointers only go backwards
            more, _ = _name(msg, ptr, depth + 1)
            return labels + more, pos + 2
        if n & 0xC0:
            raise ValueError("reserved label type")
        if pos + 1 + n > len(msg):
            raise IndexError
        labels.append(msg[pos + 1:pos + 1 + n])
        total += n + 1
        if total > 255:
            raise ValueError("name too long")
        pos += 1 + n


_HDR = struct.Struct(">HHHHHH")


def parse(msg: bytes):
    if len(msg) < 12:
        return MORE_NEEDED
    txid, flags, qd, an, ns, ar = _HDR.unpack_from(msg)
    opcode = (flags >> 11) & 0xF
    if opcode not in (0, 1, 2, 4, 5, 6, 7, 8, 9):
        return None                      # opcode 3 and 10-15 are unassigned
    if flags & 0x0040:
        return None                      # the Z bit is always zero
    if qd > 64 or an > 200 or ns > 200 or ar > 200:
        return None                      # real messages carry few records
    if qd + an + ns + ar == 0:
        # Only an error response may be empty (e.g. NOTIMP to an inverse query), and
        # then it is exactly a header.
        if flags & 0x8000 and flags & 0xF and len(msg) == 12:
            return Message(txid, True, opcode, flags & 0xF, 0, 0, 0, 0, None, None, None, [], True)
        return None
    response = bool(flags & 0x8000)
    if not response and (an > 20 and opcode == 0):
        return None
    qname = qtype = qclass = None
    labels = []
    if qd:
        try:
            labels, pos = _name(msg, 12)
        except IndexError:
            return MORE_NEEDED
        except ValueError:
            return None
        if pos + 4 > len(msg):
            return MORE_NEEDED
        qtype = (msg[pos] << 8) | msg[pos + 1]
        qclass = (msg[pos + 2] << 8) | msg[pos + 3]
        if qclass & 0x7FFF not in (1, 3, 4, 254, 255):
            return None                  # IN, CH, HS, NONE, ANY (mDNS sets the top bit)
        if qtype == 0 or 128 <= qtype < 249:
            return None
        if b"" in labels:
            return None                  # empty labels end a name; they cannot sit inside
        qname = b".".join(labels).decode("latin-1")
        if opcode >= 6 and not _netbios_name(labels):
            return None                  # opcodes 6-9 exist only in NetBIOS NS (RFC 1002)
    elif not response and opcode != 1:
        # A query without a question is not a query -- except the obsolete inverse
        # query (opcode 1, RFC 1035 6.4), which carries an answer record instead.
        return None
    else:
        # Answer-only responses (mDNS announcements): validate the first record's name.
        try:
            labels, pos = _name(msg, 12)
        except IndexError:
            return MORE_NEEDED
        except ValueError:
            return None
        if not labels or b"" in labels:
            return None
        qname = b".".join(labels).decode("latin-1")
    # Continue after the first question (or the first record's owner name, which the
    # walk re-reads as a record) rather than from the header.
    if qd:
        exact = _sections_exact(msg, pos + 4, qd - 1, an + ns + ar)
    else:
        exact = _sections_exact(msg, 12, 0, an + ns + ar)
    return Message(txid, response, opcode, flags & 0xF,
                   qd, an, ns, ar, qname, qtype, qclass, labels, exact)


def _skip_name(msg: bytes, pos: int, end: int) -> int:
    """Position after a name, without collecting labels or following pointers."""
    while pos < end:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n >= 0xC0:
            return pos + 2
        if n & 0xC0:
            return end + 1                   # reserved label type: not a name
        pos += 1 + n
    return end + 1


def _sections_exact(msg: bytes, pos: int, qd: int, rrs: int) -> bool:
    """True when the remaining questions and resource records parse and the last one
    ends exactly at the end of the message: random bytes essentially never do that."""
    end = len(msg)
    for _ in range(qd):
        pos = _skip_name(msg, pos, end) + 4
        if pos > end:
            return False
    for _ in range(rrs):
        pos = _skip_name(msg, pos, end)
        if pos + 10 > end:
            return False
        pos += 10 + ((msg[pos + 8] << 8) | msg[pos + 9])
    return pos == end

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
