# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The detectors' compiled parts: the FlowView every detector receives, the engine's
probe loop (one implementation of engine.py's rules -- budgets, exclusion, conflicts,
early stop -- used by ``Engine.classify`` for one flow and by ``ProbeLoop.classify_batch``
for a whole batch of the fast path's records), and the hot parsers of a few
detectors (one <protocol>.pxi beside each such detector's module, sharing the _wire_*.pxi
readers; all included below, one extension).

The batch entry point reads only the contract's fields of each record (transport,
payload lengths, datagram lengths, packet sizes and directions) and the payload arena,
and hands each detector the same FlowView that ``engine.snapshot`` copies out of a
``classifier.flows.Flow`` -- never a port or an address (tests/detectors/
test_compiled.py checks that both ways give identical labels).
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM
from cpython.unicode cimport PyUnicode_DecodeLatin1
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport PyObject
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy, memset

import os as _os

import numpy as np

# base.Outcome's values as C constants (engine.py asserts that they agree).
cdef enum:
    V_NO_MATCH = 0
    V_MORE = 1
    V_MATCH = 2

V_NO_MATCH_, V_MORE_, V_MATCH_ = V_NO_MATCH, V_MORE, V_MATCH     # for engine.py's check

cdef tuple EMPTY = ()

cdef enum:
    MAX_BUDGETS = 64         # distinct (max_bytes, max_packets) budgets in a registry
    MAX_CHECKS = 8           # byte checks of one detector's gate (base.Gate.bytes)
    FLOW_PAYLOAD_CAP = 4096  # payload bytes a direction the flow table keeps (_dgram)
    MAX_FORMS = 4            # base.Gate.forms
cdef str TCP = "tcp"
cdef str UDP = "udp"


cdef object _NO = None, _MORE = None, _MATCH = None     # base.NO, base.MORE, Outcome.MATCH


cdef inline void _outcomes():
    global _NO, _MORE, _MATCH
    if _MATCH is None:
        from . import base      # imported on first use: base.py imports ProbeResult from here
        _NO, _MORE, _MATCH = base.NO, base.MORE, base.Outcome.MATCH


@cython.no_gc     # never in a reference cycle: saves the collector's passes over them
cdef class ProbeResult:
    """A probe's answer (see base.py, which exports it): its outcome (base.Outcome), and
    for a MATCH the protocol, confidence and metadata.  Immutable, as the frozen
    dataclass it replaced; compiled so probes (and base.claim) build one cheaply."""
    cdef readonly object outcome, protocol, confidence, metadata

    __match_args__ = ("outcome", "protocol", "confidence", "metadata")

    def __init__(self, outcome, protocol=None, confidence=0.0, metadata=None):
        self.outcome = outcome
        self.protocol = protocol
        self.confidence = confidence
        self.metadata = {} if metadata is None else metadata

    def _fields(self):
        return (self.outcome, self.protocol, self.confidence, self.metadata)

    def __eq__(self, other):
        if type(other) is not ProbeResult:
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other):
        if type(other) is not ProbeResult:
            return NotImplemented
        return self._fields() != other._fields()

    def __hash__(self):
        return hash(self._fields())

    def __repr__(self):
        return "ProbeResult(outcome={!r}, protocol={!r}, confidence={!r}, metadata={!r})".format(*self._fields())

    def __reduce__(self):
        return ProbeResult, self._fields()

    @property
    def verdict(self):
        """Deprecated: the old name of ``outcome``; goes in the next release."""
        return self.outcome


cdef inline ProbeResult _result(object outcome, object protocol, object confidence, dict metadata):
    cdef ProbeResult r = ProbeResult.__new__(ProbeResult)
    r.outcome = outcome
    r.protocol = protocol
    r.confidence = confidence
    r.metadata = metadata
    return r


def claim(protocol, confidence, /, **metadata):
    """The probe claims the flow for ``protocol``: a ProbeResult with outcome MATCH;
    metadata values that are None are dropped (base.claim)."""
    _outcomes()
    return _result(_MATCH, protocol, confidence,
                   {k: v for k, v in metadata.items() if v is not None})


cdef ProbeResult _claim(object protocol, object confidence, dict metadata):
    """claim() for compiled probes: ``metadata`` holds no None value already."""
    _outcomes()
    return _result(_MATCH, protocol, confidence, metadata)


# Deprecated aliases (the names before ProbeResult / claim), exported for code that
# imported them from here; they go in the next release, with base.py's.
Result = ProbeResult
match = claim


@cython.no_gc     # bytes, lists of bytes and ints: never in a reference cycle
cdef class FlowView:
    """The only shape of flow a detector ever sees (see flowview.py, which exports it).

    transport      "tcp" or "udp"
    payload_c2s    TCP: in-order stream prefix; UDP: the datagrams joined
    payload_s2c
    datagrams_c2s  UDP: the first datagrams, one item each
    datagrams_s2c
    pkt_dirs       the first packets' direction: 0 c2s, 1 s2c
    pkt_sizes      and their L4 payload length
    midstream      TCP: bit 0 (c2s) / bit 1 (s2c) set when that direction's bytes do not
                   start at the stream's beginning (joined without a SYN, or resynced
                   after first segments lost for good: the fast path's "midstream"
                   note); bit 2 (c2s) / bit 3 (s2c) when it was resynced ("resynced":
                   a SYN was seen, so bytes before these are known to be missing)

    There is deliberately no port, address or TTL attribute: a detector that wanted one
    would fail with AttributeError.  A view made by the batch path keeps the packet
    list packed (``_pk``) and builds the two lists on first use (only rtmp reads them).
    """
    cdef public object transport, payload_c2s, payload_s2c, datagrams_c2s, datagrams_s2c
    cdef public int midstream
    cdef object _dirs, _sizes
    cdef bytes _pk          # npk direction bytes, then npk sizes as little-endian u16
    cdef Py_ssize_t _npk

    __match_args__ = ("transport", "payload_c2s", "payload_s2c", "datagrams_c2s",
                      "datagrams_s2c", "pkt_dirs", "pkt_sizes")

    def __init__(self, transport, payload_c2s=b"", payload_s2c=b"", datagrams_c2s=(),
                 datagrams_s2c=(), pkt_dirs=(), pkt_sizes=(), midstream=0):
        self.transport = transport
        self.midstream = midstream
        self.payload_c2s = payload_c2s
        self.payload_s2c = payload_s2c
        self.datagrams_c2s = datagrams_c2s
        self.datagrams_s2c = datagrams_s2c
        self._dirs = pkt_dirs
        self._sizes = pkt_sizes

    cdef void _unpack(self):
        cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(self._pk)
        cdef Py_ssize_t k, n = self._npk
        self._dirs = [p[k] for k in range(n)]
        self._sizes = [p[n + 2 * k] | (p[n + 2 * k + 1] << 8) for k in range(n)]
        self._pk = None

    @property
    def pkt_dirs(self):
        if self._pk is not None:
            self._unpack()
        return self._dirs

    @pkt_dirs.setter
    def pkt_dirs(self, value):
        if self._pk is not None:
            self._unpack()
        self._dirs = value

    @property
    def pkt_sizes(self):
        if self._pk is not None:
            self._unpack()
        return self._sizes

    @pkt_sizes.setter
    def pkt_sizes(self, value):
        if self._pk is not None:
            self._unpack()
        self._sizes = value

    @classmethod
    def udp(cls, c2s=(), s2c=()):
        """A UDP view from lists of datagrams per direction."""
        c2s, s2c = tuple(c2s), tuple(s2c)
        return cls("udp", b"".join(c2s), b"".join(s2c), c2s, s2c)

    @classmethod
    def tcp(cls, c2s=b"", s2c=b""):
        return cls("tcp", c2s, s2c)

    def _fields(self):
        return (self.transport, self.payload_c2s, self.payload_s2c, self.datagrams_c2s,
                self.datagrams_s2c, self.pkt_dirs, self.pkt_sizes)

    def __eq__(self, other):
        if type(other) is not FlowView:
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other):
        if type(other) is not FlowView:
            return NotImplemented
        return self._fields() != other._fields()

    __hash__ = None

    def __repr__(self):
        return ("FlowView(transport={!r}, payload_c2s={!r}, payload_s2c={!r}, datagrams_c2s={!r}, "
                "datagrams_s2c={!r}, pkt_dirs={!r}, pkt_sizes={!r})").format(*self._fields())

    def __reduce__(self):
        return FlowView, self._fields() + (self.midstream,)


cdef inline FlowView _view(object transport, object c, object s, object dgc, object dgs,
                           FlowView packets):
    """A FlowView without the Python-level __init__; its packet list is ``packets``'s."""
    cdef FlowView v = FlowView.__new__(FlowView)
    v.transport = transport
    v.payload_c2s = c
    v.payload_s2c = s
    v.datagrams_c2s = dgc
    v.datagrams_s2c = dgs
    v._dirs = packets._dirs
    v._sizes = packets._sizes
    v._pk = packets._pk
    v._npk = packets._npk
    v.midstream = packets.midstream
    return v


cdef struct Shape:
    Py_ssize_t lc, ls       # payload bytes per direction
    Py_ssize_t nc, ns       # data packets (UDP: datagrams) per direction
    # The batch path's datagram flows (gated true): per direction, the first non-empty
    # datagram (its bytes, length, position among the direction's datagrams; position -1:
    # none) and the position of the second -- what the detectors' gates read.
    # A TCP flow (tcp true) is gated too, each direction's stream as its one unit
    # (spec.tcp_gate).
    bint gated, tcp
    const uint8_t* d0[2]
    Py_ssize_t l0[2]
    Py_ssize_t k0[2]
    Py_ssize_t k1[2]


cdef struct GateC:
    # One base.Gate in C form (ProbeLoop.gates); a detector's alternatives are
    # consecutive (gstart), and it is refused only when every alternative refuses.
    bint c2s_only, s2c_only, lone, whole, prefix
    Py_ssize_t units, min_len, n
    Py_ssize_t off[MAX_CHECKS]
    uint8_t mask[MAX_CHECKS]
    uint8_t lo[MAX_CHECKS]
    uint8_t hi[MAX_CHECKS]
    Py_ssize_t len_off, len_size, len_adjust      # len_size 0: no length field
    # forms (base.Gate.forms): nforms shapes, form f's checks fn[f] of foff/fmask/...
    Py_ssize_t nforms
    Py_ssize_t fn[MAX_FORMS]
    Py_ssize_t foff[MAX_FORMS][MAX_CHECKS]
    uint8_t fmask[MAX_FORMS][MAX_CHECKS]
    uint8_t flo[MAX_FORMS][MAX_CHECKS]
    uint8_t fhi[MAX_FORMS][MAX_CHECKS]


cdef Py_ssize_t _packet_byte_cap(FlowView v, int direction, Py_ssize_t mp) except -2:
    """Bytes carried by the first ``mp`` data packets of a direction, or -1 when the
    packet list does not reach that many."""
    cdef Py_ssize_t total = 0, n = 0, k, sz, npk
    cdef const uint8_t* p
    if v._pk is not None:
        p = <const uint8_t*>PyBytes_AS_STRING(v._pk)
        npk = v._npk
        for k in range(npk):
            sz = p[npk + 2 * k] | (p[npk + 2 * k + 1] << 8)
            if p[k] == direction and sz:
                n += 1
                total += sz
                if n == mp:
                    return total
        return -1
    for d, s in zip(v._dirs, v._sizes):
        if d == direction and s:
            n += 1
            total += s
            if n == mp:
                return total
    return -1


# The compiled probes and parsers, one extension: the shared wire readers (_wire_*.pxi),
# then the detectors' compiled code (each detector module re-exports its own;
# tests/detectors/test_compiled.py checks their recorded answers).
include "_wire_bytes.pxi"
include "_wire_dns.pxi"
include "_wire_tls.pxi"
include "_wire_tls_fingerprints.pxi"
include "_wire_http.pxi"
include "_wire_ber.pxi"
include "_wire_banner.pxi"
include "_wire_dgram.pxi"
include "_wire_aes.pxi"
include "_dnsfamily.pxi"     # dns, mdns, llmnr, netbios-ns
include "bittorrent.pxi"
include "coap.pxi"
include "dhcp.pxi"
include "dhcpv6.pxi"
include "dtls.pxi"
include "http.pxi"
include "http_proxy.pxi"
include "ike.pxi"
include "kerberos.pxi"
include "memcached.pxi"
include "mongodb.pxi"
include "ntp.pxi"
include "openvpn.pxi"
include "quic.pxi"
include "radius.pxi"
include "rtp.pxi"
include "rtsp.pxi"
include "sip.pxi"
include "slp.pxi"
include "smallchat.pxi"
include "stun.pxi"
include "tftp.pxi"
include "tls.pxi"
include "wireguard.pxi"


cdef bint _gate_refuses(GateC* g, Py_ssize_t mp, Py_ssize_t mb, Shape* sh) noexcept:
    """One gate against a datagram flow as a budget (mp datagrams per direction, mb
    bytes) shows it to a probe: the first mp datagrams of each direction, a datagram
    cut at mb bytes."""
    cdef Py_ssize_t d, c, f, seen, ln, k, v
    cdef const uint8_t* p
    cdef uint8_t x
    if g.units or g.lone:
        # Non-empty datagrams among the first mp of each direction (two at most per
        # direction are noted): as many as the probe sees, or more when the byte
        # budget ends before the second -- never fewer, so a refusal is sound.
        seen = 0
        for d in range(2):
            if 0 <= sh.k0[d] < mp:
                seen += 1
            if 0 <= sh.k1[d] < mp:
                seen += 1
        if seen < g.units:
            return True
        if g.lone and seen != 1:
            return False            # the checks bind a lone datagram only
    for d in range(1 if g.s2c_only else 0, 1 if g.c2s_only else 2):
        if not (0 <= sh.k0[d] < mp):
            if g.c2s_only or g.s2c_only:
                return True         # the probe needs this side's datagram
            continue                # no datagram of this direction in the probe's view
        if g.whole and (sh.l0[d] >= mb or sh.l0[d] >= FLOW_PAYLOAD_CAP):
            continue                # perhaps cut short: the probe skips this datagram
        ln = sh.l0[d] if sh.l0[d] < mb else mb
        if ln < g.min_len:
            return True
        p = sh.d0[d]
        for c in range(g.n):
            if g.off[c] >= ln:
                continue            # only with prefix (else off < min_len <= ln)
            x = p[g.off[c]] & g.mask[c]
            if x < g.lo[c] or x > g.hi[c]:
                return True
        if g.len_size:
            v = 0
            for k in range(g.len_size):
                v = (v << 8) | p[g.len_off + k]
            if v != ln - g.len_adjust:
                return True
        if g.nforms:
            for f in range(g.nforms):
                for c in range(g.fn[f]):
                    if g.foff[f][c] >= ln:
                        continue    # only with prefix
                    x = p[g.foff[f][c]] & g.fmask[f][c]
                    if x < g.flo[f][c] or x > g.fhi[f][c]:
                        break
                else:
                    break           # this form fits
            else:
                return True         # no form fits this datagram
    return False


cdef inline void _stream_units(Shape* sh, const uint8_t* c, const uint8_t* s) noexcept:
    """A TCP flow for the gates (sh.lc, sh.ls set): each direction's stream from its
    start is its one unit."""
    sh.gated = sh.tcp = True
    sh.d0[0], sh.l0[0], sh.k0[0] = c, sh.lc, (0 if sh.lc else -1)
    sh.d0[1], sh.l0[1], sh.k0[1] = s, sh.ls, (0 if sh.ls else -1)
    sh.k1[0] = sh.k1[1] = -1


cdef list _cut_datagrams(const uint8_t* p, Py_ssize_t total, const int64_t[:, ::1] lens,
                         Py_ssize_t i, Py_ssize_t nd):
    """One direction's datagrams of batch record i, as classifier.flows.Flow cuts them
    out of its ``total`` payload bytes at ``p`` (the lengths as recorded, each cut at
    the bytes kept)."""
    cdef list out = []
    cdef Py_ssize_t pos = 0, k, ln, start, stop
    for k in range(nd):
        ln = lens[i, k]
        start = pos if pos < total else total
        stop = pos + ln if pos + ln < total else total
        out.append(PyBytes_FromStringAndSize(<char*>p + start, stop - start))
        pos += ln
    return out


cdef class CandSet:
    """A flow's candidates in C form: registry positions, and for each the highest
    confidence the candidates from there on could return (engine.candidates)."""
    cdef Py_ssize_t n
    cdef Py_ssize_t* idx
    cdef double* ceiling        # n + 1 entries

    def __cinit__(self, tuple cands, tuple ceiling):
        cdef Py_ssize_t j
        self.n = len(cands)
        self.idx = <Py_ssize_t*>PyMem_Malloc(sizeof(Py_ssize_t) * (self.n + 1))
        self.ceiling = <double*>PyMem_Malloc(sizeof(double) * (self.n + 1))
        if self.idx == NULL or self.ceiling == NULL:
            raise MemoryError()
        for j in range(self.n):
            self.idx[j] = cands[j]
            self.ceiling[j] = ceiling[j]
        self.ceiling[self.n] = ceiling[self.n] if len(ceiling) > self.n else 0.0

    def __dealloc__(self):
        PyMem_Free(self.idx)
        PyMem_Free(self.ceiling)


cdef enum:
    _FMEMO = 4096            # ProbeLoop's direct-mapped candidate cache: entries (a power of 2)


cdef class ProbeLoop:
    """Per-engine tables in C form, the candidate memo, and the probe loop."""
    cdef list names          # registry position -> detector name
    cdef list probes         # registry position -> probe callable
    # registry position -> the probe for a UDP / TCP flow that starts nowhere mid-stream:
    # a base.resyncing wrapper (resync_at_start) returns its inner probe's answer
    # unchanged there, and a probe marked tcp_start_plain (openvpn) does on such TCP
    # flows, so that one is called without the wrapper's Python frame
    cdef list plain, plain_tcp
    cdef Py_ssize_t* bid     # registry position -> budget id
    cdef Py_ssize_t* bmax    # budget id -> max_bytes
    cdef Py_ssize_t* bpk     # budget id -> max_packets
    cdef double* mconf       # registry position -> max_confidence
    cdef Py_ssize_t nspec, nbudget
    # The detectors' gates (base.Gate) in C form: detector i's alternatives are
    # gates[gstart[i]:gstart[i + 1]] (none: no gate) for UDP datagrams, and
    # gates[tstart[i]:tstart[i + 1]] for TCP streams (spec.tcp_gate).
    cdef GateC* gates
    cdef Py_ssize_t* gstart
    cdef Py_ssize_t* tstart
    cdef dict maxconf        # name -> max_confidence (incremental "done" rule)
    cdef object engine
    cdef dict memo           # candidate-set key (bytes) -> CandSet
    # A direct-mapped cache in front of memo, by the key's 33 bytes: most flows of a
    # batch find their candidates here with no bytes object made and hashed.
    cdef uint8_t (*fkeys)[33]
    cdef list fvals
    cdef object label_cls
    # detector name -> [probes that raised, the first message]: a raising probe is a
    # bug of ours; the flow goes on to the other detectors, and the count reaches the
    # run's summary (Engine.take_errors) instead of disappearing.
    cdef readonly dict errors

    def __cinit__(self):
        self.bid = self.bmax = self.bpk = NULL
        self.mconf = NULL
        self.gates = NULL
        self.gstart = NULL
        self.tstart = NULL
        self.errors = {}
        self.fkeys = <uint8_t (*)[33]>PyMem_Malloc(_FMEMO * 33)
        if self.fkeys == NULL:
            raise MemoryError()
        memset(self.fkeys, 0xFF, _FMEMO * 33)      # key[0] is 0-7: 0xFF is no key
        self.fvals = [None] * _FMEMO

    def __dealloc__(self):
        PyMem_Free(self.bid)
        PyMem_Free(self.bmax)
        PyMem_Free(self.bpk)
        PyMem_Free(self.mconf)
        PyMem_Free(self.gates)
        PyMem_Free(self.gstart)
        PyMem_Free(self.tstart)
        PyMem_Free(self.fkeys)

    def __init__(self, engine, plan, maxconf, label_cls, gates=None, tcp_gates=None):
        """``gates``, ``tcp_gates``: per registry position a base.Gate, a tuple of
        alternatives or None (the lists None: no gates)."""
        cdef Py_ssize_t i, c, m, f
        budgets = {}
        self.names, self.probes, self.plain, self.plain_tcp = [], [], [], []
        ids = []
        for name, probe, key in plan:
            self.names.append(name)
            self.probes.append(probe)
            at_start = getattr(probe, "resync_at_start", False)
            self.plain.append(probe.__wrapped__ if at_start else probe)
            self.plain_tcp.append(probe.__wrapped__ if at_start or getattr(probe, "tcp_start_plain", False)
                                  else probe)
            ids.append(budgets.setdefault(key, len(budgets)))
        self.nspec = len(ids)
        self.nbudget = len(budgets)
        if self.nbudget > MAX_BUDGETS:
            raise ValueError(f"more than {MAX_BUDGETS} distinct detector budgets")
        self.bid = <Py_ssize_t*>PyMem_Malloc(sizeof(Py_ssize_t) * (self.nspec + 1))
        self.bmax = <Py_ssize_t*>PyMem_Malloc(sizeof(Py_ssize_t) * (self.nbudget + 1))
        self.bpk = <Py_ssize_t*>PyMem_Malloc(sizeof(Py_ssize_t) * (self.nbudget + 1))
        self.mconf = <double*>PyMem_Malloc(sizeof(double) * (self.nspec + 1))
        if self.bid == NULL or self.bmax == NULL or self.bpk == NULL or self.mconf == NULL:
            raise MemoryError()
        for i in range(self.nspec):
            self.bid[i] = ids[i]
            self.mconf[i] = maxconf[self.names[i]]
        for key, i in budgets.items():
            self.bmax[i] = key[0]
            self.bpk[i] = key[1]
        alts = []
        for table in (gates, tcp_gates):
            for i in range(self.nspec):
                g = table[i] if table is not None else None
                alts.append(() if g is None else tuple(g) if isinstance(g, tuple) else (g,))
        total = sum(len(a) for a in alts)
        self.gates = <GateC*>PyMem_Malloc(sizeof(GateC) * (total + 1))
        self.gstart = <Py_ssize_t*>PyMem_Malloc(sizeof(Py_ssize_t) * (self.nspec + 1))
        self.tstart = <Py_ssize_t*>PyMem_Malloc(sizeof(Py_ssize_t) * (self.nspec + 1))
        if self.gates == NULL or self.gstart == NULL or self.tstart == NULL:
            raise MemoryError()
        m = 0
        for i in range(2 * self.nspec):
            if i < self.nspec:
                self.gstart[i] = m
            else:
                if i == self.nspec:
                    self.gstart[self.nspec] = m
                self.tstart[i - self.nspec] = m
            for g in alts[i]:
                checks = tuple(g.bytes)
                if len(checks) > MAX_CHECKS:
                    raise ValueError(f"{self.names[i % self.nspec]}: more than {MAX_CHECKS} gate checks")
                self.gates[m].c2s_only = g.c2s_only
                self.gates[m].s2c_only = g.s2c_only
                self.gates[m].lone = g.lone
                self.gates[m].whole = g.whole
                self.gates[m].prefix = g.prefix
                self.gates[m].units = g.units
                self.gates[m].min_len = g.min_len
                self.gates[m].n = len(checks)
                for c in range(len(checks)):
                    self.gates[m].off[c] = checks[c][0]
                    self.gates[m].mask[c] = checks[c][1]
                    self.gates[m].lo[c] = checks[c][2]
                    self.gates[m].hi[c] = checks[c][3]
                if len(g.forms) > MAX_FORMS or any(len(x) > MAX_CHECKS for x in g.forms):
                    raise ValueError(f"{self.names[i % self.nspec]}: more than {MAX_FORMS} gate forms "
                                     f"or {MAX_CHECKS} checks in one")
                self.gates[m].nforms = len(g.forms)
                for f in range(len(g.forms)):
                    self.gates[m].fn[f] = len(g.forms[f])
                    for c in range(len(g.forms[f])):
                        self.gates[m].foff[f][c] = g.forms[f][c][0]
                        self.gates[m].fmask[f][c] = g.forms[f][c][1]
                        self.gates[m].flo[f][c] = g.forms[f][c][2]
                        self.gates[m].fhi[f][c] = g.forms[f][c][3]
                if g.length is not None:
                    self.gates[m].len_off, self.gates[m].len_size, self.gates[m].len_adjust = g.length
                else:
                    self.gates[m].len_off = self.gates[m].len_size = self.gates[m].len_adjust = 0
                m += 1
        self.tstart[self.nspec] = m
        self.maxconf = dict(maxconf)
        self.engine = engine
        self.memo = {}
        self.label_cls = label_cls

    # ------------------------------------------------------------------ one flow
    cdef FlowView _budget(self, FlowView view, Py_ssize_t b, Shape* sh, list cuts):
        """The budget cut (its answers are recorded in tests/detectors/data/probe_answers/
        budget.jsonl; test_compiled checks them): the flow
        itself when the budget cuts nothing, else a FlowView of what it keeps.  Cuts
        that keep the same bytes are made once per flow (``cuts`` remembers them, keyed
        by what each direction keeps, packed in a bytes object)."""
        cdef Py_ssize_t mb = self.bmax[b], mp = self.bpk[b], room, k, n, m, j, ln, pc, c0, c1
        cdef Py_ssize_t sig[6]           # per direction: datagrams kept, bytes kept, last one's cut
        cdef int direction
        cdef list dg, kept
        cdef object x
        cdef bytes key
        cdef FlowView v
        if sh.lc <= mb and sh.ls <= mb and sh.nc <= mp and sh.ns <= mp:
            return view
        dgc, dgs = view.datagrams_c2s, view.datagrams_s2c
        udp = view.transport == UDP and (dgc or dgs)
        if udp:
            # The first mp datagrams of each direction, while max_bytes lasts; the last
            # one kept is cut where the room ends.  What is kept is fixed by how many
            # datagrams and bytes each direction keeps.
            for direction in range(2):
                x = dgs if direction else dgc
                dg = x if type(x) is list else list(x)
                m = len(dg)
                room = mb
                n = k = 0
                sig[3 * direction + 2] = -1
                for j in range(m if m < mp else mp):
                    if room <= 0:
                        break
                    ln = PyBytes_GET_SIZE(<object>PyList_GET_ITEM(dg, j)) \
                        if type(<object>PyList_GET_ITEM(dg, j)) is bytes else len(<object>PyList_GET_ITEM(dg, j))
                    k += 1
                    if ln > room:
                        sig[3 * direction + 2] = room        # the last one kept is cut here
                        n += room
                        room = 0
                        break
                    n += ln
                    room -= ln
                sig[3 * direction] = k
                sig[3 * direction + 1] = n
            key = PyBytes_FromStringAndSize(<char*>sig, sizeof(sig))
        else:
            # A stream is cut at max_bytes, or earlier at the end of its mp-th data
            # packet when the packet list reaches that many.
            c0 = c1 = mb
            for direction in range(2):
                if (sh.ns if direction else sh.nc) <= mp:
                    continue
                pc = _packet_byte_cap(view, direction, mp)
                if pc >= 0 and pc < mb:
                    if direction:
                        c1 = pc
                    else:
                        c0 = pc
            # Slicing clamps at the end: the kept bytes are min(cap, length).
            sig[0] = c0 if c0 < sh.lc else sh.lc
            sig[1] = c1 if c1 < sh.ls else sh.ls
            key = PyBytes_FromStringAndSize(<char*>sig, 2 * sizeof(Py_ssize_t))
        for k in range(0, len(cuts), 2):
            if cuts[k] == key:
                return <FlowView>cuts[k + 1]
        if udp:
            lists, pays = [], []
            for direction in range(2):
                x = dgs if direction else dgc
                dg = x if type(x) is list else list(x)
                k, n, room = sig[3 * direction], sig[3 * direction + 1], sig[3 * direction + 2]
                if room < 0 and k == len(dg) and type(x) is list:
                    kept = dg               # every datagram whole: the same list
                else:
                    kept = dg[:k]
                    if room >= 0:
                        kept[k - 1] = kept[k - 1][:room]
                lists.append(kept)
                # the payload is the datagrams joined (FlowView): its first n bytes
                pay = view.payload_s2c if direction else view.payload_c2s
                pays.append(pay if len(pay) == n else pay[:n])
            v = _view(UDP, pays[0], pays[1], lists[0], lists[1], view)
        else:
            v = _view(view.transport, view.payload_c2s[:sig[0]], view.payload_s2c[:sig[1]],
                      EMPTY, EMPTY, view)
        cuts.append(key)
        cuts.append(v)
        return v

    cdef bint _refuses(self, Py_ssize_t i, Py_ssize_t b, Shape* sh) noexcept:
        """Detector i's gate (base.Gate; with alternatives, every one of them) refuses
        this datagram flow: the probe, given the view its budget b cuts, cannot match."""
        cdef Py_ssize_t g
        cdef Py_ssize_t* start = self.tstart if sh.tcp else self.gstart
        if start[i] == start[i + 1]:
            return False
        for g in range(start[i], start[i + 1]):
            if not _gate_refuses(&self.gates[g], self.bpk[b], self.bmax[b], sh):
                return False
        return True

    cdef object _run(self, FlowView view, Shape* sh, CandSet cs, object session, bint full,
                     Py_ssize_t first=0):
        """The probe loop of one flow.  ``full`` false and no session (the pipeline's
        batch path): a flow without a match gives None, and a Label carries no probe
        trail (tried, pending and errors are empty tuples) and shares its metadata dict
        with the winning ProbeResult -- fewer objects per flow for the allocator and the
        cyclic collector.  ``first``: the candidates before it are known to be refused
        by their gates (the batch path checked them before making the view)."""
        cdef Py_ssize_t j, i, b, n = cs.n
        cdef PyObject* vb[MAX_BUDGETS]       # borrowed: ``view``, or a cut owned by ``cuts``
        cdef list cuts = None
        cdef bint trail = full or session is not None
        cdef list tried = [] if trail else None
        cdef list pending = [] if trail else None
        cdef list errors = None, losers = None
        cdef object best = None, r, v, name
        cdef double bestconf = -1.0, conf
        cdef int outcome
        cdef set excluded
        cdef dict state
        for b in range(self.nbudget):
            vb[b] = NULL
        if session is None:
            excluded = None
            state = {}
        else:
            excluded = session.excluded
            state = session.states
        for j in range(first, n):
            if bestconf >= cs.ceiling[j]:
                # The best match so far reaches what every remaining candidate could
                # return: none of them can win (a tie loses the tie-break).
                break
            i = cs.idx[j]
            if bestconf >= self.mconf[i]:
                # This candidate cannot return more than the best match so far, and
                # a tie loses the tie-break: no need to ask it.
                continue
            name = self.names[i]
            if excluded is not None and name in excluded:
                continue
            b = self.bid[i]
            if sh.gated and not trail and self._refuses(i, b, sh):
                continue            # its gate: this probe cannot match these datagrams
            if vb[b] == NULL:
                if sh.lc <= self.bmax[b] and sh.ls <= self.bmax[b] and sh.nc <= self.bpk[b] \
                        and sh.ns <= self.bpk[b]:
                    vb[b] = <PyObject*>view
                else:
                    if cuts is None:
                        cuts = []
                    v = self._budget(view, b, sh, cuts)
                    vb[b] = <PyObject*>v          # kept alive by cuts
            v = <object>vb[b]
            if trail:
                tried.append(name)
            try:
                r = (self.probes[i] if view.midstream else
                     self.plain_tcp[i] if view.transport is TCP else self.plain[i])(v, state)
            except Exception as exc:   # a detector bug must not kill the pipeline
                if _os.environ.get("PORTLENS_STRICT_PROBES"):
                    raise               # the test suite: a raising probe fails the test
                if errors is None:
                    errors = []
                msg = f"{name}: {type(exc).__name__}: {exc}"
                errors.append(msg)
                seen = self.errors.get(name)
                if seen is None:
                    self.errors[name] = [1, msg]
                else:
                    seen[0] += 1
                if excluded is not None:
                    excluded.add(name)
                continue
            if type(r) is ProbeResult:
                outcome = (<ProbeResult>r).outcome
            else:
                outcome = r.outcome
            if outcome == V_MATCH:
                conf = r.confidence
                # Strictly greater: on a tie the earlier (more specific) detector stays.
                if best is None or conf > bestconf:
                    if best is not None:
                        if losers is None:
                            losers = []
                        losers.append(best)
                    best = r
                    bestconf = conf
                else:
                    if losers is None:
                        losers = []
                    losers.append(r)
                if bestconf >= cs.ceiling[j + 1]:
                    # No later candidate can return more; a tie loses the tie-break.
                    break
            elif outcome == V_MORE:
                if trail:
                    pending.append(name)
            elif excluded is not None:
                excluded.add(name)
        if not trail:
            if best is None:
                return None
            return self.label_cls(best.protocol, best.confidence, "dpi", best.metadata,
                                  [{"protocol": x.protocol, "confidence": x.confidence} for x in losers]
                                  if losers is not None else EMPTY, EMPTY, EMPTY,
                                  errors if errors is not None else EMPTY)
        if errors is None:
            errors = []
        if best is None:
            return self.label_cls(None, 0.0, "none", {}, [], tried, pending, errors)
        label = self.label_cls(best.protocol, best.confidence, "dpi", dict(best.metadata),
                               [{"protocol": x.protocol, "confidence": x.confidence} for x in losers]
                               if losers is not None else [],
                               tried, [], errors)
        # Incremental use: the label is final unless a detector still waiting for bytes
        # could return more (e.g. a STUN exchange that may turn into DTLS or media).
        if session is not None:
            if not pending or bestconf >= max([self.maxconf[p] for p in pending]):
                session.done = label
        return label

    def run(self, FlowView view, tuple shape, tuple cands, tuple ceiling, object session,
            bint full=True):
        """Probe the candidates of one flow in registry order (engine.py's rules).
        ``shape`` is (bytes c2s, bytes s2c, data packets c2s, data packets s2c);
        ``session`` a FlowSession, or None for a one-shot classification; with ``full``
        false a flow without a match returns None instead of a Label."""
        cdef Shape sh
        sh.lc, sh.ls, sh.nc, sh.ns = shape
        sh.gated = sh.tcp = False
        return self._run(view, &sh, CandSet(cands, ceiling), session, full)

    def gate_refuses(self, Py_ssize_t i, list dgc, list dgs):
        """Whether detector i's gate refuses a UDP flow of these datagrams (bytes), as
        the batch path decides it, for tests (test_gates.py)."""
        cdef Shape sh
        cdef Py_ssize_t k, d
        cdef bytes x
        if self.gstart[i] == self.gstart[i + 1]:
            return False
        sh.lc = sum(len(x) for x in dgc)
        sh.ls = sum(len(x) for x in dgs)
        sh.nc, sh.ns = len(dgc), len(dgs)
        sh.gated = True
        sh.tcp = False
        for d in range(2):
            sh.k0[d] = sh.k1[d] = -1
            for k, x in enumerate(dgs if d else dgc):
                if not x:
                    continue
                if sh.k0[d] < 0:
                    sh.k0[d] = k
                    sh.d0[d] = <const uint8_t*>PyBytes_AS_STRING(x)
                    sh.l0[d] = len(x)
                elif sh.k1[d] < 0:
                    sh.k1[d] = k
        return self._refuses(i, self.bid[i], &sh)

    def tcp_gate_refuses(self, Py_ssize_t i, bytes c2s, bytes s2c):
        """Whether detector i's tcp_gate refuses a TCP flow of these streams, as the
        batch path decides it, for tests (test_gates.py)."""
        cdef Shape sh
        if self.tstart[i] == self.tstart[i + 1]:
            return False
        sh.lc, sh.ls = len(c2s), len(s2c)
        sh.nc, sh.ns = (1 if c2s else 0), (1 if s2c else 0)
        _stream_units(&sh, <const uint8_t*>PyBytes_AS_STRING(c2s), <const uint8_t*>PyBytes_AS_STRING(s2c))
        return self._refuses(i, self.bid[i], &sh)

    def budget(self, FlowView view, max_bytes, max_packets, tuple shape):
        """The view a (max_bytes, max_packets) budget gives, for tests."""
        cdef Shape sh
        cdef Py_ssize_t b
        sh.lc, sh.ls, sh.nc, sh.ns = shape
        for b in range(self.nbudget):
            if self.bmax[b] == max_bytes and self.bpk[b] == max_packets:
                return self._budget(view, b, &sh, [])
        raise KeyError((max_bytes, max_packets))

    # ---------------------------------------------------------------- one batch
    def classify_batch(self, records, payload, bint full, list announcing=None):
        """Labels of a fast-path batch (``records`` a RECORD_DTYPE array, ``payload``
        its arena), one per record: a Label, or None for a flow without a match when
        ``full`` is false (then no Label object is built for it).  The positions of
        the labels whose metadata announces endpoints ("expect") are appended to
        ``announcing`` when given."""
        cdef Py_ssize_t n = len(records), i, k, pos, ln, start, stop, lc, ls, npk, nd0, nd1, sz, j0
        cdef const uint8_t[::1] arena
        cdef const uint8_t* base
        cdef int64_t off
        cdef const int64_t[::1] proto, poff, plc, pls, nkc, nks, npks, sfc, sfs
        cdef int ms
        cdef const int64_t[:, ::1] dlc, dls, psz, pdr
        cdef uint8_t key[33]
        cdef uint64_t fh, fnv = 0x100000001B3ULL
        cdef uint8_t b0
        cdef uint8_t* pk
        cdef bint udp, dg
        cdef list out = [None] * n
        cdef FlowView view
        cdef Shape sh
        cdef bytes packed
        if n == 0:
            return out
        if len(payload):
            arena = payload
            base = &arena[0]
        else:
            base = NULL
        i64 = np.int64
        proto = np.ascontiguousarray(records["proto"], dtype=i64)
        poff = np.ascontiguousarray(records["pay_off"], dtype=i64)
        plc = np.ascontiguousarray(records["pay_len_c2s"], dtype=i64)
        pls = np.ascontiguousarray(records["pay_len_s2c"], dtype=i64)
        nkc = np.ascontiguousarray(records["ndgram_c2s"], dtype=i64)
        nks = np.ascontiguousarray(records["ndgram_s2c"], dtype=i64)
        npks = np.ascontiguousarray(records["npk"], dtype=i64)
        sfc = np.ascontiguousarray(records["stream_flags_c2s"], dtype=i64)
        sfs = np.ascontiguousarray(records["stream_flags_s2c"], dtype=i64)
        dlc = np.ascontiguousarray(records["dgram_len_c2s"], dtype=i64)
        dls = np.ascontiguousarray(records["dgram_len_s2c"], dtype=i64)
        psz = np.ascontiguousarray(records["pk_size"], dtype=i64)
        pdr = np.ascontiguousarray(records["pk_dir"], dtype=i64)
        label_cls = self.label_cls
        for i in range(n):
            if proto[i] == 6:
                udp = False
            elif proto[i] == 17:
                udp = True
            else:
                if full:
                    out[i] = label_cls(None)
                continue
            lc = plc[i]
            ls = pls[i]
            if lc == 0 and ls == 0:
                if full:
                    out[i] = label_cls(None)
                continue
            off = poff[i]
            # First the flow's shape and candidate key, read from the arena: no object
            # is made for a flow whose candidates' gates all refuse it (a flood's
            # random datagrams), the view below only for one a probe will read.
            npk = npks[i]
            if npk > psz.shape[1]:
                npk = psz.shape[1]
            sh.lc = lc
            sh.ls = ls
            sh.gated = sh.tcp = False
            ms = 0
            # The candidate key: transport, then a 256-bit set of first bytes.
            for k in range(33):
                key[k] = 0
            key[0] = udp
            nd0 = nkc[i] if udp else 0
            nd1 = nks[i] if udp else 0
            dg = nd0 > 0 or nd1 > 0
            if dg:
                # Datagrams as classifier.flows.Flow cuts them out of each direction's
                # bytes; the first byte of each of the first three counts.
                # Each direction's first two non-empty datagrams are noted for the gates.
                sh.gated = True
                sh.k0[0] = sh.k1[0] = sh.k0[1] = sh.k1[1] = -1
                pos = 0
                for k in range(nd0):
                    ln = dlc[i, k]
                    start = pos if pos < lc else lc
                    stop = pos + ln if pos + ln < lc else lc
                    if stop > start:
                        if k < 3:
                            b0 = base[off + start]
                            key[1 + (b0 >> 3)] |= 1 << (b0 & 7)
                        if sh.k0[0] < 0:
                            sh.k0[0] = k
                            sh.d0[0] = base + off + start
                            sh.l0[0] = stop - start
                        elif sh.k1[0] < 0:
                            sh.k1[0] = k
                    pos += ln
                pos = 0
                for k in range(nd1):
                    ln = dls[i, k]
                    start = pos if pos < ls else ls
                    stop = pos + ln if pos + ln < ls else ls
                    if stop > start:
                        if k < 3:
                            b0 = base[off + lc + start]
                            key[1 + (b0 >> 3)] |= 1 << (b0 & 7)
                        if sh.k0[1] < 0:
                            sh.k0[1] = k
                            sh.d0[1] = base + off + lc + start
                            sh.l0[1] = stop - start
                        elif sh.k1[1] < 0:
                            sh.k1[1] = k
                    pos += ln
                sh.nc = nd0
                sh.ns = nd1
            else:
                # data packets per direction, from the packet list
                sh.nc = sh.ns = 0
                for k in range(npk):
                    if psz[i, k]:
                        if pdr[i, k]:
                            sh.ns += 1
                        else:
                            sh.nc += 1
                if lc:
                    b0 = base[off]
                    key[1 + (b0 >> 3)] |= 1 << (b0 & 7)
                if ls:
                    b0 = base[off + lc]
                    key[1 + (b0 >> 3)] |= 1 << (b0 & 7)
                if not udp:
                    _stream_units(&sh, base + off, base + off + lc)
                    # Directions starting mid-stream (the fast path's SF_MIDSTREAM bit,
                    # 1): the detectors that can re-anchor there join the candidates.
                    ms = ((sfc[i] & 1) | ((sfs[i] & 1) << 1)
                          | (((sfc[i] >> 4) & 1) << 2) | (((sfs[i] >> 4) & 1) << 3))
                    if ms:
                        key[0] |= 2
                        # Every direction with bytes resynced: the resync detectors
                        # alone (engine.resynced_only).
                        if (ms & 12) and (lc == 0 or (ms & 4)) and (ls == 0 or (ms & 8)):
                            key[0] |= 4
            fh = 0xCBF29CE484222325ULL
            for k in range(33):
                fh = (fh ^ key[k]) * fnv                    # FNV-1a
            fh = (fh ^ (fh >> 29)) & (_FMEMO - 1)
            if memcmp(self.fkeys[fh], key, 33) == 0:
                cs = self.fvals[fh]
            else:
                kb = PyBytes_FromStringAndSize(<char*>key, 33)
                cs = self.memo.get(kb)
                if cs is None:
                    firsts = [k for k in range(256) if key[1 + (k >> 3)] & (1 << (k & 7))]
                    cc = self.engine.candidates_for(UDP if udp else TCP, firsts, (key[0] & 2) != 0,
                                                    (key[0] & 4) != 0)
                    cs = CandSet(tuple(cc[0]), tuple(cc[1]))
                    if len(self.memo) < 65536:
                        self.memo[kb] = cs
                memcpy(self.fkeys[fh], key, 33)
                self.fvals[fh] = cs
            if (<CandSet>cs).n == 0:
                if full:
                    out[i] = label_cls(None)
                continue
            j0 = 0
            if not full and sh.gated:
                # _run would skip every candidate whose gate refuses the flow: when all
                # do, it returns None; ask it only when one may match, from that one on.
                while j0 < (<CandSet>cs).n:
                    k = (<CandSet>cs).idx[j0]
                    if not self._refuses(k, self.bid[k], &sh):
                        break
                    j0 += 1
                else:
                    continue
            view = FlowView.__new__(FlowView)
            view.payload_c2s = PyBytes_FromStringAndSize(<char*>base + off, lc)
            view.payload_s2c = PyBytes_FromStringAndSize(<char*>base + off + lc, ls)
            # The packet list, packed: directions, then sizes (little-endian u16).
            packed = PyBytes_FromStringAndSize(NULL, 3 * npk)
            pk = <uint8_t*>PyBytes_AS_STRING(packed)
            for k in range(npk):
                pk[k] = <uint8_t>pdr[i, k]
                sz = psz[i, k]
                pk[npk + 2 * k] = sz & 0xFF
                pk[npk + 2 * k + 1] = (sz >> 8) & 0xFF
            view._pk = packed
            view._npk = npk
            if dg:
                view.transport = UDP
                view.datagrams_c2s = _cut_datagrams(base + off, lc, dlc, i, nd0)
                view.datagrams_s2c = _cut_datagrams(base + off + lc, ls, dls, i, nd1)
            elif udp:
                view.transport = UDP
                view.datagrams_c2s = []
                view.datagrams_s2c = []
            else:
                view.transport = TCP
                view.datagrams_c2s = EMPTY
                view.datagrams_s2c = EMPTY
                view.midstream = ms
            lab = self._run(view, &sh, <CandSet>cs, None, full, j0)
            out[i] = lab
            if announcing is not None and lab is not None and "expect" in lab.metadata:
                announcing.append(i)
        return out
