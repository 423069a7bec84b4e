# TFTP probe, compiled.
# Included by _fast.pyx (one extension); tftp.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef tuple _TFTP_MODES = (b"netascii", b"octet", b"mail")    # tftp.MODES
cdef tuple _TFTP_OACK_NAMES = (b"blksize", b"tsize", b"timeout", b"windowsize")


@cython.wraparound(True)
cdef object _tftp_parse(bytes dg):
    """tftp.parse: metadata dict, None (not TFTP) or _MORE."""
    cdef Py_ssize_t n = len(dg)
    cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(dg)
    cdef unsigned int op
    if n < 2:
        return _MORE if n == 1 and d[0] == 0 else None
    op = (d[0] << 8) | d[1]
    if op == 1 or op == 2:
        parts = dg[2:].split(b"\x00")
        if len(parts) < 3:
            return _MORE if n < 512 else None
        fname, mode = parts[0], parts[1].lower()
        if not fname or mode not in _TFTP_MODES or parts[-1] != b"":
            return None                   # the mode is one of three fixed strings
        return {"opcode": "RRQ" if op == 1 else "WRQ", "filename": _dec(d + 2, len(fname)),
                "mode": mode.decode()}
    if op == 3:
        if n < 4:
            return _MORE
        # DATA carries at most blksize bytes (512 unless negotiated, max 65464).
        return {"opcode": "DATA", "block": (d[2] << 8) | d[3]} if n <= 65468 else None
    if op == 4:
        if n < 4:
            return _MORE
        return {"opcode": "ACK", "block": (d[2] << 8) | d[3]} if n == 4 else None
    if op == 5:
        if n < 5:
            return _MORE
        return {"opcode": "ERROR"} if ((d[2] << 8) | d[3]) <= 8 and d[n - 1] == 0 else None
    if op == 6:
        return {"opcode": "OACK"} if d[n - 1] == 0 and n > 3 else None
    return None


@cython.wraparound(True)
def tftp_probe(view, state):
    """tftp.probe: a read/write request (1.0), a transfer's DATA/ACK pair with small
    block numbers (0.9), or an option acknowledgement with registered names (0.8)."""
    cdef dict first = {}
    cdef bytes b
    _outcomes()
    for d, dgs in ((0, view.datagrams_c2s), (1, view.datagrams_s2c)):
        for dg in dgs[:2]:
            if not dg:
                continue
            b = dg if type(dg) is bytes else bytes(dg)
            r = _tftp_parse(b)
            if r is None:
                return _NO
            if r is _MORE:
                return _MORE
            first.setdefault(d, r)
    if not first:
        return _MORE
    ops = {r["opcode"] for r in first.values()}
    if "RRQ" in ops or "WRQ" in ops:
        m = first.get(0) or first[1]
        return _claim("tftp", 1.0, dict(m))
    # A transfer flow: DATA one way, ACK the other, block numbers small.
    if ops <= {"DATA", "ACK", "OACK", "ERROR"} and len(first) == 2 and \
            all(r.get("block", 0) <= 2 for r in first.values()) and ("DATA" in ops or "OACK" in ops):
        return _claim("tftp", 0.9, {"opcode": "transfer"})
    if ops == {"OACK"}:
        # An option acknowledgement alone (the request went to another flow): its
        # name/value pairs use the registered option names (RFC 2347-2349, 7440).
        dg = (view.datagrams_c2s or view.datagrams_s2c)[0]
        names = dg[2:].split(b"\x00")[0:-1:2]
        if names and all(nm.lower() in _TFTP_OACK_NAMES for nm in names):
            return _claim("tftp", 0.8, {"opcode": "OACK"})
        return _NO
    if len(first) == 1:
        return _MORE
    return _NO
