# DHCPv6 probe, compiled.
# Included by _fast.pyx (one extension); dhcpv6.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _dhcp6_types = None         # dhcpv6.TYPES


def dhcpv6_probe(view, state):
    """dhcpv6.probe: the first datagram is a known message type whose options (after
    the 4-byte header, 34 for relays) tile it exactly and include a client or server
    identifier or a relay message (0.95)."""
    global _dhcp6_types
    cdef Py_ssize_t n, pos, start, ln
    cdef unsigned int code
    cdef bint ident = False
    cdef bytes b
    cdef const uint8_t* d
    _outcomes()
    if _dhcp6_types is None:
        from . import dhcpv6
        _dhcp6_types = dhcpv6.TYPES
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg:
            continue
        b = dg if type(dg) is bytes else bytes(dg)
        d = _buf(b, &n)
        name = _dhcp6_types.get(d[0])
        if name is None:
            return _NO
        start = 34 if d[0] == 12 or d[0] == 13 else 4   # relay: hop count + two addresses
        if n < start + 4:
            return _MORE
        pos = start
        while pos < n:
            if pos + 4 > n:
                return _NO
            code = (d[pos] << 8) | d[pos + 1]
            ln = (d[pos + 2] << 8) | d[pos + 3]
            if code == 0 or code > 300 or pos + 4 + ln > n:
                return _NO               # option 0 is reserved; options must fit
            if code == 1 or code == 2 or code == 9:
                ident = True
            pos += 4 + ln
        # Client/server messages carry a client or server identifier (options 1/2) or,
        # for relays, a relay message (9): an option list without one is a chance tiling.
        if not ident:
            return _NO
        return _claim("dhcpv6", 0.95, {"message_type": name})
    return _MORE
