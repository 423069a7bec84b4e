# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The output records of a fast-path batch, compiled for classifier/schema.py
(``batch_records``): the same dicts, key for key and in the same order, as its
column-wise Python original (tests/detectors/test_compiled.py compares both).

Not a detector: this module reads ports and addresses to print them, so it lives
outside classifier/detectors/, and no detector imports it (a test checks).
"""
from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport strlen

import numpy as np

cdef extern from "arpa/inet.h":
    const char* inet_ntop(int af, const void* src, char* dst, unsigned int size)

cdef extern from "sys/socket.h":
    int AF_INET
    int AF_INET6


cdef inline object _addr_text(const uint8_t* raw, bint v6):
    """socket.inet_ntop's text: dotted quad written here (libc formats it through
    printf, a third of this function's time), IPv6 left to inet_ntop."""
    cdef char buf[64]
    cdef Py_ssize_t n = 0, k
    cdef unsigned int b
    if not v6:
        for k in range(4):
            b = raw[k]
            if b >= 100:
                buf[n] = c'0' + b // 100
                n += 1
            if b >= 10:
                buf[n] = c'0' + (b // 10) % 10
                n += 1
            buf[n] = c'0' + b % 10
            n += 1
            if k < 3:
                buf[n] = c'.'
                n += 1
        return PyUnicode_DecodeASCII(buf, n, NULL)
    if inet_ntop(AF_INET6, raw, buf, sizeof(buf)) == NULL:
        raise ValueError("bad address")
    return PyUnicode_DecodeASCII(buf, strlen(buf), NULL)


cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept:
    cdef int64_t q = a // b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


def record_dicts(records, capture, list transports, list tunnels, list end_reasons,
                 list flag_text, list notes):
    """One output dict per record (see classifier.schema.batch_records).  The tables
    give the text of every byte value: transport by IP protocol, tunnel bits, end
    reason, TCP flags and stream-flag notes (None: no notes)."""
    cdef Py_ssize_t n = len(records), i
    cdef list out = [None] * n
    if n == 0:
        return out
    cdef const int64_t[::1] ts0 = np.ascontiguousarray(records["ts_start"], dtype=np.int64)
    cdef const int64_t[::1] ts1 = np.ascontiguousarray(records["ts_end"], dtype=np.int64)
    cdef const uint64_t[::1] pc = np.ascontiguousarray(records["packets_c2s"], dtype=np.uint64)
    cdef const uint64_t[::1] ps = np.ascontiguousarray(records["packets_s2c"], dtype=np.uint64)
    cdef const uint64_t[::1] bc = np.ascontiguousarray(records["bytes_c2s"], dtype=np.uint64)
    cdef const uint64_t[::1] bs = np.ascontiguousarray(records["bytes_s2c"], dtype=np.uint64)
    cdef const int64_t[::1] lc = np.ascontiguousarray(records["pay_len_c2s"], dtype=np.int64)
    cdef const int64_t[::1] ls = np.ascontiguousarray(records["pay_len_s2c"], dtype=np.int64)
    cdef const int64_t[::1] vlan = np.ascontiguousarray(records["vlan"], dtype=np.int64)
    cdef const int64_t[::1] cport = np.ascontiguousarray(records["client_port"], dtype=np.int64)
    cdef const int64_t[::1] sport = np.ascontiguousarray(records["server_port"], dtype=np.int64)
    cdef const int64_t[::1] proto = np.ascontiguousarray(records["proto"], dtype=np.int64)
    cdef const int64_t[::1] ipver = np.ascontiguousarray(records["ipver"], dtype=np.int64)
    cdef const int64_t[::1] tun = np.ascontiguousarray(records["tunnel"], dtype=np.int64)
    cdef const int64_t[::1] er = np.ascontiguousarray(records["end_reason"], dtype=np.int64)
    cdef const int64_t[::1] fc = np.ascontiguousarray(records["tcp_flags_c2s"], dtype=np.int64)
    cdef const int64_t[::1] fs = np.ascontiguousarray(records["tcp_flags_s2c"], dtype=np.int64)
    cdef const int64_t[::1] nc = np.ascontiguousarray(records["stream_flags_c2s"], dtype=np.int64)
    cdef const int64_t[::1] ns = np.ascontiguousarray(records["stream_flags_s2c"], dtype=np.int64)
    cdef const uint8_t[:, ::1] caddr = np.ascontiguousarray(records["client_addr"], dtype=np.uint8)
    cdef const uint8_t[:, ::1] saddr = np.ascontiguousarray(records["server_addr"], dtype=np.uint8)
    cdef dict rec, pay
    cdef bint v6
    cdef int64_t nb
    for i in range(n):
        v6 = ipver[i] == 6
        pay = {"c2s": lc[i], "s2c": ls[i]}
        nb = nc[i] | ns[i]
        if nb:
            pay["notes"] = notes[nb]
        rec = {
            "capture": capture,
            "ts_start": <double>_floordiv(ts0[i], 1000) / 1e6,
            "ts_end": <double>_floordiv(ts1[i], 1000) / 1e6,
            "transport": transports[proto[i]],
            "client": _addr_text(&caddr[i, 0], v6),
            "client_port": cport[i],
            "server": _addr_text(&saddr[i, 0], v6),
            "server_port": sport[i],
            "vlan": None if vlan[i] < 0 else vlan[i],
            "tunnel": tunnels[tun[i]],
            "packets_c2s": pc[i],
            "packets_s2c": ps[i],
            "bytes_c2s": bc[i],
            "bytes_s2c": bs[i],
            "protocol": "unknown",
            "source": "none",
            "confidence": None,
            "port_protocol": None,
            "verdict": None,
            "metadata": {},
            "end_reason": end_reasons[er[i]],
            "tcp_flags": {"c2s": flag_text[fc[i]], "s2c": flag_text[fs[i]]} if proto[i] == 6 else None,
            "payload": pay,
        }
        out[i] = rec
    return out
