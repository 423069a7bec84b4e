"""WHOIS (RFC 3912): the client opens with one query line ended by CR LF and sends
nothing else (RFC 3912 2: "the client ... send[s] a single 'command line', ending with
<CRLF>"); the server answers with text and closes the connection.  The protocol has no
syntax beyond that, and a line of text answered by text is what half the text protocols
look like, so the query alone is never enough.

This detector relies on both sides: a single CR LF-ended line of printable ASCII from
the client (RFC 3912 4: the protocol is not internationalised; clients send IDNs as
A-labels), then a text answer holding a line that real WHOIS servers write and other
text protocols do not:
* a record field at a line's start, after optional blanks: the registry style
  ("Domain Name:", "Registry Domain ID:", "Registrar WHOIS Server:"), the RPSL style of
  the RIRs and IANA ("inetnum:", "inet6num:", "aut-num:", "nic-hdl:", "refer:",
  "whois:", "domain:"), ARIN's ("NetRange:", "NetHandle:", "ASNumber:");
* or a registry's no-match or database line ("No match for ...", ">>> Last update of
  whois database", RIPE's "%ERROR:101: no entries found").
Comment lines ("% ...", "# ...") are skipped while looking (they open most answers).
It cannot see the server close the connection (the view carries payload only), so it
claims below 1: the markers are strong but still text.  Wireshark's packet-whois.c and
nDPI's whoisdas.c find WHOIS by port (43; nDPI also 4343) and Wireshark flags a query
without CR LF; l7-filter's pattern, the query line alone, is marked "overmatch" by its
own authors, which is why the answer must show a WHOIS line here.
Metadata: query (the client's line without CR LF), referral (the server named in a
"refer:" / "whois:" / "Registrar WHOIS Server:" field, when the answer has one).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAX_QUERY = 512                   # no RFC limit; real queries are a name plus a few flags
MAX_LINE = 1024                   # an answer's line (legal notices wrap well below this)

# Field names (lower case) that open a WHOIS record line, "name:" then the value.
FIELDS = frozenset({
    b"domain name", b"registry domain id", b"registrar whois server",       # registries (ICANN format)
    b"inetnum", b"inet6num", b"aut-num", b"nic-hdl", b"mntner", b"as-block",  # RPSL (RIRs)
    b"refer", b"whois", b"domain",                                          # IANA, RPSL ccTLDs, DAS
    b"netrange", b"nethandle", b"asnumber", b"orgid",                       # ARIN
})
REFERRAL = (b"refer", b"whois", b"registrar whois server")
# Lines (lower case, blanks stripped) that only a WHOIS server's answer starts with.
PHRASES = (b"no match for", b">>> last update of whois database", b"%error:101: no entries found")


def _printable(b: bytes) -> bool:
    return all(0x20 <= c < 0x7f for c in b)


def _query(c: bytes):
    """The query line without CR LF, MORE while it is incomplete, or None."""
    i = c.find(b"\n")
    if i < 0:
        body = c[:-1] if c.endswith(b"\r") else c
        return MORE if len(c) <= MAX_QUERY + 1 and body[:1] != b" " and _printable(body) else None
    if i + 1 != len(c) or i < 2 or c[i - 1] != 0x0d:
        return None                      # one line, ended by CR LF, then nothing
    line = c[:i - 1]
    if len(line) > MAX_QUERY or line[:1] == b" " or not _printable(line):
        return None
    return line


def _answer_text(b: bytes) -> bool:
    """Text: no control byte but TAB, CR, LF (bytes >= 0x80: names in UTF-8 or Latin-1)."""
    return not any(c < 0x20 and c not in (0x09, 0x0a, 0x0d) or c == 0x7f for c in b)


def _marker(line: bytes):
    """(True, referral or None) when the line is one of a WHOIS answer's, else None."""
    text = line.strip().lower()
    if text.startswith(PHRASES):
        return True, None
    key, colon, value = text.partition(b":")
    if colon and key in FIELDS:
        ref = line.partition(b":")[2].strip() if key in REFERRAL else None
        return True, ref or None
    return None


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE         # the client speaks first, and always
    query = _query(c)
    if query is None:
        return NO
    if query is MORE:
        return NO if s else MORE         # a server answers a whole line only
    if not query:
        return NO                        # an empty line is no query
    if not s:
        return MORE
    if not _answer_text(s):
        return NO
    lines = s.split(b"\n")
    matched, referral = False, None
    for raw in lines[:-1]:               # the complete lines
        line = raw.rstrip(b"\r")
        if len(line) > MAX_LINE:
            return NO                    # no WHOIS answer writes such a line
        found = _marker(line)
        if found:
            matched = True
            referral = referral or found[1]
    if matched:
        meta = {"query": dec(query)}
        if referral:
            meta["referral"] = dec(referral)
        return claim("whois", 0.9, **meta)
    return MORE if len(lines[-1]) <= MAX_LINE else NO


_PRINTABLE = frozenset(range(0x21, 0x7f))
SPEC = DetectorSpec(name="whois", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=6, prefilter=Prefilter(c2s=_PRINTABLE,
                                                       s2c=_PRINTABLE | {0x20, 0x09, 0x0a, 0x0d}),
                    max_confidence=0.9)
