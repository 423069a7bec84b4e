# BitTorrent probe (TCP handshake, DHT/uTP over UDP), compiled.
# Included by _fast.pyx (one extension); bittorrent.py exports it.
# Answers recorded in tests/detectors/data/probe_answers/ (test_compiled.py).


cdef object _bt_krpc = None              # bittorrent._KRPC
cdef bytes _BT_HANDSHAKE = b"\x13BitTorrent protocol"


cdef inline object _bt_hex(const uint8_t* p) :
    return PyBytes_FromStringAndSize(<const char*>p, 20).hex()


cdef object _bt_tcp(view):
    """bittorrent._tcp: the peer handshake, at the start or after MSE's keys."""
    cdef Py_ssize_t n, i
    cdef const uint8_t* p
    cdef const uint8_t* q
    cdef bytes d
    cdef bint more = False
    for data in (view.payload_c2s, view.payload_s2c):
        d = data if type(data) is bytes else bytes(data)
        p = _buf(d, &n)
        # Message Stream Encryption that settles on plaintext puts the clear handshake
        # after the DH keys and padding: the magic anywhere but offset 0.
        q = <const uint8_t*>memmem(p + 1, n - 1, <const char*>_BT_HANDSHAKE, 20) if n > 1 else NULL
        if q != NULL:
            i = q - p
            return _claim("bittorrent", 0.95, {"transport_kind": "tcp-mse", "info_hash": _bt_hex(p + i + 28)}
                          if n >= i + 48 else {"transport_kind": "tcp-mse"})
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        d = data if type(data) is bytes else bytes(data)
        p = _buf(d, &n)
        if n >= 20 and memcmp(p, <const char*>_BT_HANDSHAKE, 20) == 0:
            return _claim("bittorrent", 1.0, {"transport_kind": "tcp", "info_hash": _bt_hex(p + 28)}
                          if n >= 48 else {"transport_kind": "tcp"})
        more = True                        # maybe MSE: keys and padding come first
    if more and min(len(view.payload_c2s), len(view.payload_s2c)) >= 1024:
        # MSE's keys and padding take at most 608 bytes per side.
        return _NO
    return _MORE if more else _NO


cdef inline int _bt_utp(const uint8_t* p, Py_ssize_t n) noexcept:
    """bittorrent._utp: the connection id of a uTP header, or -1."""
    cdef Py_ssize_t pos = 20
    cdef int ext = p[1] if n > 1 else 0, size, kind = p[0] >> 4 if n else 0
    if n < 20 or (p[0] & 0x0F) != 1 or p[0] >> 4 > 4 or p[1] > 3:
        return -1
    # A whole STUN message (RFC 8489 6: magic cookie 0x2112A442 at 4, its length at 2
    # counting what follows the 20-byte header) is no uTP header: a Binding success
    # response (0x0101) reads as uTP data with the extension byte 1, and two of one size
    # "share" a connection id (ICE checks seen from the answering side alone).
    if p[4] == 0x21 and p[5] == 0x12 and p[6] == 0xA4 and p[7] == 0x42 \
            and 20 + ((p[2] << 8) | p[3]) == n:
        return -1
    # BEP 29: a non-zero extension byte means extension headers follow the 20 bytes,
    # each (next extension, length, bytes); selective ack (1) is a bitmask of 4 bytes or
    # a multiple, libutp's extension bits (2) 8 bytes.  The chain must fit the datagram.
    while ext:
        if pos + 2 > n:
            return -1
        size = p[pos + 1]
        if (ext == 1 and (size < 4 or size & 3)) or (ext == 2 and size != 8) or ext > 3:
            return -1
        ext = p[pos]
        pos += 2 + size
        if pos > n:
            return -1
    # ST_DATA (0) carries data; ST_STATE (2, an ACK), ST_RESET (3) and ST_SYN (4) none.
    if (kind == 0 and pos == n) or (kind >= 2 and pos != n):
        return -1
    # The connection id is random (libutp: a random 16-bit id for the SYN); 0 is what
    # other headers put there: CAPWAP's DTLS preamble (01 00 00 00), RakNet's
    # unconnected ping (01, then a time whose high bytes are zero).  Both sides sharing
    # it made those flows uTP; a uTP session with id 0 is one in 65536.
    if p[2] == 0 and p[3] == 0:
        return -1
    return (p[2] << 8) | p[3]


cdef object _bt_udp(view):
    """bittorrent._udp: a DHT KRPC dictionary, or uTP headers sharing a connection id."""
    cdef Py_ssize_t n, on
    cdef const uint8_t* p
    cdef const uint8_t* op
    cdef int cid, oc
    cdef bytes first, od
    # Empty datagrams carry no header: skipped (one sent first used to raise).
    c, s = [d for d in view.datagrams_c2s if d][:4], [d for d in view.datagrams_s2c if d][:4]
    if not c and not s:
        return _MORE
    f = (c or s)[0]
    first = f if type(f) is bytes else bytes(f)
    p = _buf(first, &n)
    if n and p[0] == 0x64:                 # "d": a bencoded dictionary
        # KRPC messages are dictionaries with a 't' transaction and 'y' type key.
        if p[n - 1] == 0x65 and (memmem(p, n, b"1:y1:", 5) != NULL or _bt_krpc.match(first) is not None):
            return _claim("bittorrent", 0.95, {"transport_kind": "dht"})
        return _NO if p[n - 1] == 0x65 or n > 64 else _MORE
    cid = _bt_utp(p, n)
    if cid < 0:
        # A uTP header is 20 bytes; a shorter prefix with a valid type/version byte and
        # extension byte may still become one.
        if n < 20 and (p[0] & 0x0F) == 1 and p[0] >> 4 <= 4 and (n < 2 or p[1] <= 3):
            return _MORE
        return _NO
    # uTP: the SYN (type 4) carries connection id X, the peer answers with X as well;
    # data packets use X+1 one way, X the other.
    if p[0] == 0x41 and n == 20 and (p[1] == 0 or p[1] == 2) and not s:
        return _MORE
    # The datagrams besides the first: the server's, or the client's later ones (a
    # flow that holds the server's side alone compares its later datagrams; comparing
    # the first with itself once made a lone uTP-looking datagram a match).
    other = (s or c[1:]) if c else s[1:]
    for dg in other:
        od = dg if type(dg) is bytes else bytes(dg)
        op = _buf(od, &on)
        oc = _bt_utp(op, on)
        if oc >= 0 and abs(oc - cid) <= 1:
            return _claim("bittorrent", 0.9, {"transport_kind": "utp"})
    return _NO if other else _MORE


def bittorrent_probe(view, state):
    global _bt_krpc
    _outcomes()
    if _bt_krpc is None:
        from . import bittorrent
        _bt_krpc = bittorrent._KRPC
    return _bt_tcp(view) if view.transport == TCP else _bt_udp(view)
