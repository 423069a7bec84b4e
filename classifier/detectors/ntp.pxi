# NTP probe, compiled.
# Included by _fast.pyx (one extension); ntp.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef tuple _NTP_MODES = (None, "symmetric-active", "symmetric-passive", "client", "server",
                         "broadcast", "control", "private")       # ntp.MODES


cdef object _ntp_parse(const uint8_t* d, Py_ssize_t n):
    """ntp.parse: metadata dict, None (not NTP) or _MORE."""
    cdef unsigned int ver = (d[0] >> 3) & 7, mode = d[0] & 7, count, items, size, stratum, poll
    cdef Py_ssize_t body
    if ver < 1 or ver > 4 or mode == 0:
        return None
    if mode == 6:
        # Control: op code byte, sequence, status, association id, offset, count.
        if n < 12:
            return _MORE
        count = (d[10] << 8) | d[11]
        body = 12 + ((count + 3) & ~3)
        # Header + padded data, optionally a MAC (key id + MD5/SHA-1 digest).
        if (n != body and n != body + 20 and n != body + 24) or count > 468 \
                or not (1 <= (d[1] & 0x1F) <= 12 or (d[1] & 0x1F) == 31):
            return None                   # opcodes 1-12 and 31 (unset trap) exist
        if n > body and (d[body] or d[body + 1]):
            return None                   # a MAC's key id: ntpd's keys are 1-65535
        if d[1] & 0x80:
            if d[9] & 3 or (d[1] & 0x40 and count):
                # A response's data offset steps in 4-byte units; an error response
                # (E bit) carries no data (ntpd's ctl_error).
                return None
        elif d[1] & 0x60 or d[4] or d[5] or d[8] or d[9]:
            return None                   # a request: no error/more bit, status 0, offset 0
        return {"version": ver, "mode": "control"}
    if mode == 7:
        # ntpdc: implementation 0/2/3, request code < 64, item count/size in range,
        # and a header (8 bytes) + items that fit the datagram.
        if n < 8:
            return _MORE
        items = ((d[4] << 8) | d[5]) & 0x0FFF
        size = ((d[6] << 8) | d[7]) & 0x0FFF
        if (d[2] != 0 and d[2] != 2 and d[2] != 3) or d[3] > 63 or 8 + <Py_ssize_t>(items * size) > n:
            return None
        return {"version": ver, "mode": "private"}
    if n < 48:
        return _MORE
    # 48 bytes, optionally followed by a MAC (key id + 16/20 byte digest) or RFC 7822
    # extension fields; either way a multiple of 4.
    if n > 48 and (n - 48) % 4:
        return None
    if (n > 72 and ver < 4) or n > 1024:
        return None                       # v1-v3 allow only a MAC after the header
    stratum = d[1]
    poll = d[2]
    if stratum > 16 and not (mode == 3 and stratum == 0):
        return None                       # 0 = kiss/unspecified, 16 = unsynchronised
    if 17 < poll < 0xF0 and poll != 0:
        return None                       # log2 seconds: small, rarely negative
    # Root delay and root dispersion are 16.16 fixed-point seconds: real clocks report
    # well under 256 s; random bytes would need two leading zero bytes by chance.
    if d[4] or d[8]:
        return None
    return {"version": ver, "mode": _NTP_MODES[mode], "stratum": stratum}


def ntp_probe(view, state):
    """ntp.probe: every datagram an NTP packet (client/server modes 0.9; control and
    private modes 0.5); metadata of the first."""
    cdef Py_ssize_t n
    cdef bytes b
    cdef object meta = None, r
    _outcomes()
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for u in dgs:
            if not u:
                continue
            b = u if type(u) is bytes else bytes(u)
            r = _ntp_parse(_buf(b, &n), n)
            if r is None:
                return _NO
            if r is _MORE:
                return _MORE
            if meta is None:
                meta = r
    if meta is None:
        return _MORE
    mode = meta["mode"]
    return _claim("ntp", 0.5 if mode == "control" or mode == "private" else 0.9, meta)
