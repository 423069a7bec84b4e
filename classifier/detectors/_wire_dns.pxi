# DNS wire format (RFC 1035), compiled: the one message parser of dns, mdns, llmnr and
# netbios-ns, and the flavour rule that tells them apart (_dnswire.py re-exports
# ``dns_parse`` as parse, ``dns_flavour``, ``dns_describe``).  The flow-level parse and
# the family's probe are _dnsfamily.pxi's.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _dns_qtypes = None       # _dnswire.QTYPES: imported on first use (_dnswire
                                     # imports this module)
DNS_MORE = "more"                    # _dnswire.MORE_NEEDED

# Name walk results besides a position: the pure-Python parser raised IndexError
# (the message ends inside the name: a valid prefix) or ValueError (not a name).
cdef enum:
    NAME_SHORT = -1
    NAME_BAD = -2


cdef inline void _dns_init():
    global _dns_qtypes
    if _dns_qtypes is None:
        from . import _dnswire
        _dns_qtypes = _dnswire.QTYPES


@cython.no_gc     # ints, strings and a list of bytes: never in a reference cycle
cdef class DnsMessage:
    """One parsed DNS message (_dnswire exports it as Message).  Compiled so the parser
    builds one cheaply; the constructor, attributes, equality and repr of the slotted
    dataclass it replaced.  ``exact``: every section parsed and the last record ends
    the message.  ``flags``: the header's 16-bit flags word (QR, opcode, AA, TC, RD, RA,
    Z, AD, CD, rcode), which the flavour rule reads."""
    cdef public object txid, response, opcode, rcode, qd, an, ns, ar, qname, qtype, qclass
    cdef public object raw_labels, exact, flags

    __match_args__ = ("txid", "response", "opcode", "rcode", "qd", "an", "ns", "ar", "qname",
                      "qtype", "qclass", "raw_labels", "exact", "flags")

    def __init__(self, txid, response, opcode, rcode, qd, an, ns, ar, qname, qtype, qclass,
                 raw_labels, exact=False, flags=0):
        self.txid, self.response, self.opcode, self.rcode = txid, response, opcode, rcode
        self.qd, self.an, self.ns, self.ar = qd, an, ns, ar
        self.qname, self.qtype, self.qclass = qname, qtype, qclass
        self.raw_labels, self.exact, self.flags = raw_labels, exact, flags

    def _fields(self):
        return (self.txid, self.response, self.opcode, self.rcode, self.qd, self.an, self.ns,
                self.ar, self.qname, self.qtype, self.qclass, self.raw_labels, self.exact,
                self.flags)

    def __eq__(self, other):
        if type(other) is not DnsMessage:
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other):
        if type(other) is not DnsMessage:
            return NotImplemented
        return self._fields() != other._fields()

    __hash__ = None

    def __repr__(self):
        return ("Message(txid={!r}, response={!r}, opcode={!r}, rcode={!r}, qd={!r}, an={!r}, "
                "ns={!r}, ar={!r}, qname={!r}, qtype={!r}, qclass={!r}, raw_labels={!r}, "
                "exact={!r}, flags={!r})").format(*self._fields())

    def __reduce__(self):
        return DnsMessage, self._fields()


cdef inline DnsMessage _dns_msg(unsigned int txid, bint response, unsigned int opcode,
                                unsigned int rcode, unsigned int qd, unsigned int an,
                                unsigned int ns, unsigned int ar, object qname, object qtype,
                                object qclass, list labels, bint exact, unsigned int flags):
    """A DnsMessage without the Python-level __init__."""
    cdef DnsMessage m = DnsMessage.__new__(DnsMessage)
    m.txid, m.response, m.opcode, m.rcode = txid, response, opcode, rcode
    m.qd, m.an, m.ns, m.ar = qd, an, ns, ar
    m.qname, m.qtype, m.qclass = qname, qtype, qclass
    m.raw_labels, m.exact, m.flags = labels, exact, flags
    return m


cdef Py_ssize_t _dns_name(const uint8_t* m, Py_ssize_t end, Py_ssize_t pos, int depth,
                          list labels) except -3:
    """Append the labels of the name at pos to ``labels`` following compression
    pointers; the position after it, or NAME_SHORT / NAME_BAD."""
    cdef Py_ssize_t total = 0, n, ptr, r
    while True:
        if pos >= end:
            return NAME_SHORT
        n = m[pos]
        if n == 0:
            return pos + 1
        if (n & 0xC0) == 0xC0:
            if pos + 1 >= end:
                return NAME_SHORT
            ptr = ((n & 0x3F) << 8) | m[pos + 1]
            if depth > 8 or ptr >= end:
                # A pointer inside the message: forward ones too, as resolvers follow
                # them (dnsmasq, Unbound); the depth limit ends loops.
                return NAME_BAD
            r = _dns_name(m, end, ptr, depth + 1, labels)
            if r < 0:
                return r
            return pos + 2
        if n & 0xC0:
            return NAME_BAD                      # reserved label type
        if pos + 1 + n > end:
            return NAME_SHORT
        labels.append(PyBytes_FromStringAndSize(<const char*>m + pos + 1, n))
        total += n + 1
        if total > 255:
            return NAME_BAD                      # name too long
        pos += 1 + n


cdef inline Py_ssize_t _dns_skip_name(const uint8_t* m, Py_ssize_t pos, Py_ssize_t end) noexcept:
    """Position after a name, without collecting labels or following pointers."""
    cdef Py_ssize_t n
    while pos < end:
        n = m[pos]
        if n == 0:
            return pos + 1
        if n >= 0xC0:
            return pos + 2
        if n & 0xC0:
            return end + 1                       # reserved label type: not a name
        pos += 1 + n
    return end + 1


cdef bint _dns_sections_exact(const uint8_t* m, Py_ssize_t end, Py_ssize_t pos,
                              Py_ssize_t qd, Py_ssize_t rrs) noexcept:
    """True when the remaining questions and resource records parse and the last one
    ends exactly at the end of the message: random bytes essentially never do that."""
    cdef Py_ssize_t k
    for k in range(qd):
        pos = _dns_skip_name(m, pos, end) + 4
        if pos > end:
            return False
    for k in range(rrs):
        pos = _dns_skip_name(m, pos, end)
        if pos + 10 > end:
            return False
        pos += 10 + ((m[pos + 8] << 8) | m[pos + 9])
    return pos == end


cdef bint _dns_netbios_name(list labels):
    # RFC 1001 first-level encoding: 32 characters 'A'..'P' (two per name byte).
    cdef bytes first
    cdef const uint8_t* p
    cdef Py_ssize_t k
    if not labels:
        return False
    first = labels[0]
    if len(first) != 32:
        return False
    p = <const uint8_t*>PyBytes_AS_STRING(first)
    for k in range(32):
        if p[k] < 0x41 or p[k] > 0x50:
            return False
    return True


def dns_parse(msg):
    """One DNS message: a _dnswire.Message, None (not DNS) or DNS_MORE (valid prefix)."""
    cdef bytes b = msg if type(msg) is bytes else bytes(msg)
    cdef const uint8_t* m = <const uint8_t*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t end = len(b), pos = 0
    cdef unsigned int txid, flags, qd, an, ns, ar, opcode, qtype = 0, qclass = 0
    cdef bint response, exact, odd
    cdef list labels
    if end < 12:
        return DNS_MORE
    _dns_init()
    txid = (m[0] << 8) | m[1]
    flags = (m[2] << 8) | m[3]
    qd = (m[4] << 8) | m[5]
    an = (m[6] << 8) | m[7]
    ns = (m[8] << 8) | m[9]
    ar = (m[10] << 8) | m[11]
    opcode = (flags >> 11) & 0xF
    # The Z bit set or an unassigned opcode (3, 10-15): resolvers still parse such a
    # message (and answer NOTIMP/FORMERR), so it is DNS when it parses exactly to its end.
    odd = (flags & 0x0040) != 0 or opcode == 3 or opcode >= 10
    if qd > 64 or an > 200 or ns > 200 or ar > 200:
        return None                      # real messages carry few records
    if qd + an + ns + ar == 0:
        # Only an error response may be empty (e.g. NOTIMP to an inverse query), and
        # then it is exactly a header.
        if flags & 0x8000 and flags & 0xF and end == 12:
            return _dns_msg(txid, True, opcode, flags & 0xF, 0, 0, 0, 0, None, None, None, [],
                            True, flags)
        return None
    response = (flags & 0x8000) != 0
    if not response and (an > 20 and opcode == 0):
        return None
    qname = None
    labels = []
    if qd:
        pos = _dns_name(m, end, 12, 0, labels)
        if pos == NAME_SHORT:
            return DNS_MORE
        if pos == NAME_BAD:
            return None
        if pos + 4 > end:
            return DNS_MORE
        qtype = (m[pos] << 8) | m[pos + 1]
        qclass = (m[pos + 2] << 8) | m[pos + 3]
        if (qclass & 0x7FFF) not in (1, 3, 4, 254, 255):
            return None                  # IN, CH, HS, NONE, ANY (mDNS sets the top bit)
        if qtype == 0 or 128 <= qtype < 249:
            return None
        qname = b".".join(labels).decode("latin-1")
        if 6 <= opcode <= 9 and not _dns_netbios_name(labels):
            return None                  # opcodes 6-9 exist only in NetBIOS NS (RFC 1002)
        exact = _dns_sections_exact(m, end, pos + 4, qd - 1, an + ns + ar)
        if odd and not exact:
            return None
        return _dns_msg(txid, response, opcode, flags & 0xF, qd, an, ns, ar,
                        qname, qtype, qclass, labels, exact, flags)
    if not response and opcode != 1:
        # A query without a question is not a query -- except the obsolete inverse
        # query (opcode 1, RFC 1035 6.4), which carries an answer record instead.
        return None
    if response and opcode == 0 and not flags & 0x0400:
        # A standard response without its question is multicast DNS (RFC 6762 6), and
        # those are authoritative (RFC 6762 18.4): unicast DNS echoes the question.
        return None
    # Answer-only responses (mDNS announcements): validate the first record's name.
    pos = _dns_name(m, end, 12, 0, labels)
    if pos == NAME_SHORT:
        return DNS_MORE
    if pos == NAME_BAD or not labels:
        return None
    qname = b".".join(labels).decode("latin-1")
    exact = _dns_sections_exact(m, end, 12, 0, an + ns + ar)
    if odd and not exact:
        return None
    return _dns_msg(txid, response, opcode, flags & 0xF, qd, an, ns, ar,
                    qname, None, None, labels, exact, flags)


cdef inline bint _dns_label_is(bytes lab, const char* word, Py_ssize_t n) noexcept:
    """lab.lower() == word (``word`` lower-case ASCII, ``n`` bytes): bytes.lower() only
    folds A-Z."""
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(lab)
    cdef Py_ssize_t k
    cdef uint8_t c
    if len(lab) != n:
        return False
    for k in range(n):
        c = p[k]
        if 0x41 <= c <= 0x5A:
            c += 0x20
        if c != <uint8_t>word[k]:
            return False
    return True


cdef str _dns_flavour_c(m):
    """_dnswire.flavour: dns, mdns, llmnr or netbios-ns, from one message alone.  The
    name never decides alone: a resolver is asked for .local names of Active Directory
    domains and LLMNR may ask for them too, so the header says who is speaking."""
    cdef list labels = m.raw_labels
    cdef Py_ssize_t nl = len(labels)
    cdef bytes last
    cdef unsigned int flags = m.flags or 0
    cdef bint local, single
    qtype = m.qtype
    if _dns_netbios_name(labels) and (qtype is None or qtype == 32 or qtype == 33):
        return "netbios-ns"
    if m.opcode != 0:
        return "dns"                     # mDNS and LLMNR send standard queries only
    last = labels[nl - 1] if nl else b""
    # Names under .local (RFC 6762 3; "local." itself is asked of unicast DNS, appendix
    # G) and the reverse-mapping zones are what mDNS resolves.
    local = nl >= 2 and _dns_label_is(last, "local", 5)
    single = nl == 1 and not _dns_label_is(last, "localhost", 9)
    if m.qd and (m.qclass or 0) & 0x8000:
        return "mdns"                    # the QU bit (RFC 6762 5.4): no resolver sets it
    if m.response and m.qd == 0 and nl:
        return "mdns"                    # an authoritative answer without its question (6)
    if m.qd >= 2 and not m.response and not flags & 0x0100:
        # Several questions in a query without RD: mDNS packs them (RFC 6762 7.2);
        # unicast DNS asks one (RFC 9619).
        return "mdns"
    if m.txid == 0 and not flags & 0x0180 and (local or _dns_label_is(last, "arpa", 4)):
        # mDNS: id 0 (RFC 6762 18.1), RD and RA zero (18.6, 18.7).  A stub resolver asks
        # with RD set and a random id.
        return "mdns"
    if (single or local) and m.qd == 1 and m.ns == 0 and not flags & 0x05F0 \
            and (qtype == 1 or qtype == 28 or qtype == 255) and (m.response or m.an == 0):
        # LLMNR (RFC 4795 2.1.1): the RA, Z, AD and CD bits (its Z field) zero, T (where
        # RD sits) clear in a query and in the answer for a verified name, C (where AA
        # sits) clear for a unique name; A/AAAA/ANY for a single label (2: "SHOULD send
        # LLMNR queries only for single-label names") or a .local name.  A stub resolver
        # sets RD; an authoritative answer sets AA.
        return "llmnr"
    if local and not m.response and not flags & 0x0180:
        # A service-discovery question (PTR, SRV, TXT) under .local with RD clear: a
        # stub resolver asks a resolver with RD set.
        return "mdns"
    return "dns"


def dns_flavour(m):
    """_dnswire.flavour, compiled."""
    return _dns_flavour_c(m)


cdef dict _dns_describe_c(m):
    """_dnswire.describe: qname, response, qtype name, rcode (of a response)."""
    cdef dict meta = {"qname": m.qname, "response": m.response}
    qtype = m.qtype
    if qtype is not None:
        name = _dns_qtypes.get(qtype)
        meta["qtype"] = str(qtype) if name is None else name
    if m.response:
        meta["rcode"] = m.rcode
    return meta


def dns_describe(m):
    """_dnswire.describe, compiled."""
    _dns_init()
    return _dns_describe_c(m)
