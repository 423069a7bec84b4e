# DHCP (BOOTP) probe, compiled.
# Included by _fast.pyx (one extension); dhcp.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _dhcp_types = None          # dhcp.TYPES


def dhcp_probe(view, state):
    """dhcp.probe: the first datagram decides -- BOOTREQUEST/REPLY, hlen <= 16, the
    magic cookie; metadata from options 53 (message type), 12 (hostname) and 60
    (vendor class)."""
    global _dhcp_types
    cdef Py_ssize_t n, pos, ln, vl
    cdef uint8_t t
    cdef bytes b
    cdef const uint8_t* d
    cdef dict meta
    _outcomes()
    if _dhcp_types is None:
        from . import dhcp
        _dhcp_types = dhcp.TYPES
        if dhcp.COOKIE != b"\x63\x82\x53\x63":
            raise ValueError("dhcp.COOKIE changed: update dhcp.pxi")
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        d = _buf(b, &n)
        if d[0] != 1 and d[0] != 2:
            return _NO                    # op is BOOTREQUEST (1) or BOOTREPLY (2)
        if n < 240:
            return _MORE
        if d[2] > 16 or d[236] != 0x63 or d[237] != 0x82 or d[238] != 0x53 or d[239] != 0x63:
            return _NO                    # plain BOOTP without cookie is not reported
        meta = {}
        pos = 240
        while pos < n:
            t = d[pos]
            if t == 0xFF:
                break
            if t == 0:
                pos += 1
                continue
            if pos + 2 > n:
                break
            ln = d[pos + 1]
            vl = min(ln, n - pos - 2)     # the option's value, cut at the datagram's end
            if t == 53 and ln == 1:
                if vl < 1:
                    break                 # the value is past the datagram's end: no type
                name = _dhcp_types.get(d[pos + 2])
                meta["message_type"] = str(d[pos + 2]) if name is None else name
            elif t == 12:
                meta["hostname"] = _dec(d + pos + 2, vl)
            elif t == 60:
                meta["vendor_class"] = _dec(d + pos + 2, vl)
            pos += 2 + ln
        return _claim("dhcp", 1.0, meta)
    return _MORE
