# The probe of the four DNS-format detectors (dns, mdns, llmnr, netbios-ns: their
# modules call _dnsfamily.make_probe, which builds a DnsProbe) and the per-flow parse
# they share (_dnsfamily.py uses ``dns_parse_all``).  Uses _wire_dns.pxi.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef bint _dns_paired(list msgs):
    """A query and a response with the same id among the messages."""
    cdef Py_ssize_t i, j
    for i in range(len(msgs)):
        for j in range(len(msgs)):
            if msgs[i].response != msgs[j].response and msgs[i].txid == msgs[j].txid:
                return True
    return False


def dns_parse_all(view):
    """(flavour, chosen message, all messages, more) for the flow, or None (not DNS):
    one message per datagram (UDP) or one length-prefixed message per direction (TCP).
    Every message must parse -- unless the others hold a query and its response, which
    no other protocol's bytes make (a resolver's stray datagram does not lose the flow).
    The flow's flavour is its first response's (the header of an answer says most:
    AA, RA), else its first query's; NetBIOS names never mix with the others, and over
    TCP only dns and netbios-ns exist.  The chosen message is the first query, else the
    first response."""
    cdef list msgs = [], units
    cdef bint more = False, tcp = view.transport != UDP
    cdef Py_ssize_t n, bad = 0
    found = None
    qflav = rflav = None
    nb = other = False
    if not tcp:
        units = list(view.datagrams_c2s) + list(view.datagrams_s2c)
    else:
        units = []
        for data in (view.payload_c2s, view.payload_s2c):
            if not data:
                continue
            if len(data) < 2:
                units.append(b"")        # too short: the parser says DNS_MORE
                continue
            n = (data[0] << 8) | data[1]
            if n < 12:
                return None              # a length prefix below the DNS header size
            units.append(data[2:2 + n])
    _dns_init()
    for msg in units:
        m = dns_parse(msg)
        if m is None:
            bad += 1
            continue
        if m is DNS_MORE:
            more = True
            continue
        f = _dns_flavour_c(m)
        if f == "netbios-ns":
            nb = True
        else:
            other = True
            if tcp:
                f = "dns"
        if m.response:
            if rflav is None:
                rflav = f
        elif qflav is None:
            qflav = f
        msgs.append(m)
        if found is None or (found.response and not m.response):
            found = m
    if nb and other:
        return None                      # one flow speaks one flavour
    if bad and not _dns_paired(msgs):
        return None
    flav = "netbios-ns" if nb else (rflav if rflav is not None else qflav)
    return flav, found, msgs, more


cdef object _dns_decode_netbios = None


cdef class DnsProbe:
    """The probe of one of the four DNS-format detectors (_dnsfamily.make_probe): the
    four share one parse per flow, kept in the flow's state under "_dnswire" with the
    view it was made from; the flavour rule says which of them the messages are."""
    cdef readonly str name
    cdef object conf

    def __init__(self, name, conf):
        self.name = name
        self.conf = conf

    def __call__(self, view, dict state):
        global _dns_decode_netbios
        cdef tuple hit = state.get("_dnswire")
        cdef bint paired
        _outcomes()
        if hit is None or hit[0] is not view:
            hit = (view, dns_parse_all(view))
            state["_dnswire"] = hit
        r = hit[1]
        if r is None:
            return _NO
        flav, found, msgs, more = r
        if found is None:
            return _MORE if more else _NO
        if flav != self.name:
            return _NO
        # Every message parsed exactly to its end, or a query and a response with the
        # same id: certain.
        paired = True
        for m in msgs:
            if not m.exact:
                paired = False
                break
        if not paired:
            paired = _dns_paired(msgs)
        if _dns_decode_netbios is None:
            from . import _dnswire
            _dns_decode_netbios = _dnswire.decode_netbios
        meta = _dns_describe_c(found)
        if self.name == "netbios-ns":
            if found.raw_labels:
                meta["qname"] = _dns_decode_netbios(found.raw_labels[0])
            if found.qtype == 0x21:
                meta["qtype"] = "NBSTAT"    # RFC 1002 4.2.1.2: type 0x21 is a node status query here, not DNS's SRV
        return _claim(self.name, 1.0 if paired else self.conf,
                      {k: v for k, v in meta.items() if v is not None})

    def __repr__(self):
        return f"<DNS-family probe {self.name}>"
