# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""portlens fast path: capture reading, L2-L4 decoding, the flow table and payload
prefix reassembly, in C. Python sees one record per finished flow, in batches.

The Python surface is small: `Capture` (a file or stream being read), `FlowTable` (the
flow table fed by a Capture or by live packets) and `record_layout()` (the numpy
dtype of a flow record). Everything per packet stays in `nogil` C functions.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from cpython.buffer cimport PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES
from posix.unistd cimport close as c_close, pread
from libc.errno cimport errno
from libc.string cimport memmove
from posix.fcntl cimport open as c_open, O_RDONLY
from posix.mman cimport mmap, munmap, madvise, PROT_READ, MAP_SHARED, MAP_FAILED, MADV_SEQUENTIAL

from flowtypes cimport *

import gzip
import zlib
import os
import stat as _stat
import sys

include "mapguard.pxi"
include "capfile.pxi"
include "core.pxi"
include "decode.pxi"
include "ipfrag.pxi"
include "flowtable.pxi"

PAYLOAD_DEFAULT = 4096
PACKETS_KEPT = NPK
DATAGRAMS_MAX = MAX_DGRAMS
FLOW_STATE_BYTES = sizeof(Flow) + 2 * sizeof(uint64_t) + sizeof(uint32_t)   # slab + slots + free list

END_REASONS = ("eof", "idle-timeout", "active-timeout", "closed", "evicted")
TUNNEL_BITS = ((TUN_4IN4, "4in4"), (TUN_6IN4, "6in4"), (TUN_4IN6, "4in6"), (TUN_6IN6, "6in6"),
               (TUN_GRE, "gre"), (TUN_GTPU, "gtp-u"), (TUN_VXLAN, "vxlan"),
               (TUN_CAPWAP, "capwap"))
STREAM_FLAGS = ((SF_MIDSTREAM, "midstream"), (SF_GAP, "gap"), (SF_TRUNCATED, "truncated"),
                (SF_OOO_DROPPED, "ooo-dropped"), (SF_RESYNC, "resynced"))


class CaptureFileError(Exception):
    """A capture cannot be read at all (missing, not a capture, empty, ...).
    classifier.flows turns it into classifier.errors.CaptureError, which names the file."""


cdef enum:
    READ_AT_ONCE = 1024 * 1024       # pread fallback: bytes read at once (grows for a larger record)
    MAP_WINDOW = 16 * 1024 * 1024   # bytes of a regular file mapped at once: bounds RSS
    MAP_ALIGN = 2 * 1024 * 1024     # windows start at file offsets that are multiples of this,
                                    # so the kernel can map a 2 MiB page with one entry
    CHUNK = 1024 * 1024             # bytes read at once from a stream

cdef const uint8_t EMPTY[1]


cdef class Buffer:
    """Read-only bytes in memory the engine malloc'd, exposed through the buffer
    protocol and freed with the object: how a batch reaches Python without a copy."""
    cdef uint8_t* data
    cdef Py_ssize_t size
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]

    @staticmethod
    cdef Buffer wrap(uint8_t* data, Py_ssize_t size):
        cdef Buffer b = Buffer.__new__(Buffer)
        b.data = data
        b.size = size
        return b

    def __len__(self):
        return self.size

    def __getbuffer__(self, Py_buffer* view, int flags):
        if flags & PyBUF_WRITABLE:
            raise BufferError("flow batches are read-only")
        self.shape[0] = self.size
        self.strides[0] = 1
        view.buf = <void*>self.data if self.data != NULL else <void*>EMPTY
        view.obj = self
        view.len = self.size
        view.readonly = 1
        view.itemsize = 1
        if flags & PyBUF_FORMAT:
            view.format = b"B"
        else:
            view.format = NULL
        view.ndim = 1
        view.shape = self.shape if (flags & PyBUF_ND) else NULL
        view.strides = self.strides if (flags & PyBUF_STRIDES) else NULL
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer* view):
        pass

    def __dealloc__(self):
        free(self.data)


cdef class Capture:
    """A capture being read: a regular file through a sliding mmap window (pread()
    into a reused buffer where it cannot be mapped, or with `map_file=False`), or a
    stream (`-` for stdin, a pipe, or a gzip-compressed file) through read()."""
    cdef Src src
    cdef int fd
    cdef uint8_t* buf               # pread: the buffer records are read into
    cdef size_t bufcap
    cdef uint8_t* map               # mmap: the current window, and its guard slot
    cdef size_t maplen
    cdef int slot
    cdef readonly bint mapped       # regular file read through mmap windows
    cdef uint64_t fsize
    cdef readonly bint streaming
    cdef readonly bint compressed
    cdef object fh
    cdef object hold
    cdef readonly str path
    cdef public str error

    def __cinit__(self):
        self.fd = -1
        self.buf = NULL
        self.bufcap = 0
        self.map = NULL
        self.maplen = 0
        self.slot = -1
        self.src.cut = pl_guard_flag(-1)
        self.src.data = EMPTY
        self.src.stats = NULL

    def __init__(self, path, map_file=True):
        cdef int rc
        cdef Stats scratch
        memset(&scratch, 0, sizeof(Stats))
        self.path = str(path)
        self.error = None
        if self.path == "-":
            self._open_stream(sys.stdin.buffer)
        else:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                raise CaptureFileError("no such file")
            except PermissionError:
                raise CaptureFileError("permission denied")
            except OSError as e:
                raise CaptureFileError(e.strerror or str(e))
            if _stat.S_ISDIR(st.st_mode):
                raise CaptureFileError("is a directory, not a capture file")
            try:
                fh = open(self.path, "rb")
            except OSError as e:
                raise CaptureFileError(e.strerror or str(e))
            if _stat.S_ISREG(st.st_mode):
                if st.st_size == 0:
                    fh.close()
                    raise CaptureFileError("empty file")
                head = fh.read(2)
                if head == b"\x1f\x8b":
                    fh.seek(0)
                    self._open_stream(fh)
                else:
                    self.fd = os.dup(fh.fileno())
                    fh.close()
                    self.fsize = st.st_size
                    self.src.eof = 0
                    self.src.need = 24
                    self.mapped = bool(map_file)
                    self._fill()
            else:
                self._open_stream(fh)           # a FIFO, a character device, /dev/stdin
        self.src.stats = &scratch
        while True:
            rc = src_open_header(&self.src)
            if rc == RD_NEED:
                self._refill()
                continue
            break
        self.src.stats = NULL
        if rc == RD_ERR:
            msg = self.src.errmsg.decode("utf-8", "replace")
            if self.error:
                msg = self.error
            elif self.src.len == 0 and self.src.base_off == 0:
                msg = "empty file"
            self.close()
            raise CaptureFileError(msg)

    cdef _open_stream(self, fh):
        self.streaming = True
        if hasattr(fh, "peek"):
            head = fh.peek(2)[:2]
        else:
            head = b""
        if head == b"\x1f\x8b":
            fh = gzip.GzipFile(fileobj=fh, mode="rb")
            self.compressed = True
        self.fh = fh
        self.hold = b""
        self.src.data = EMPTY
        self.src.len = 0
        self.src.pos = 0
        self.src.eof = 0
        self.src.need = 24

    cdef int _fill(self) except -1:
        """Regular files: make the window start at the first unread byte and hold at
        least `need` bytes, when the file has them."""
        if self.mapped:
            return self._fill_map()
        return self._fill_read()

    cdef int _fill_map(self) except -1:
        """Map the next window (MAP_WINDOW bytes from the 2 MiB boundary at or before
        the first unread byte), with its guard (mapguard.pxi).

        Mapping rather than reading: no copy out of the page cache, and the reader
        fetches ahead (PF_AHEAD) so memory is read while earlier packets are worked on.
        With the bench capture cached in 2 MiB pages (as a file read from disk is, on
        Linux 6.18 ext4) the fast path ran about 20% faster than with pread(); cached
        in 4 KiB pages (a file just written), the same. A file cut shorter while mapped
        is caught by the guard; if mapping fails (a file system that cannot map, the
        guard's slots all taken), this capture falls back to pread() from here on."""
        cdef uint64_t base = self.src.base_off + self.src.pos if self.src.len else self.src.base_off
        cdef uint64_t start = base & ~(<uint64_t>MAP_ALIGN - 1)
        cdef uint64_t want = MAP_WINDOW
        cdef uint64_t end, now
        cdef void* m
        cdef int slot
        if self.src.need + (base - start) > want:
            want = (self.src.need + (base - start) + MAP_ALIGN - 1) & ~(<uint64_t>MAP_ALIGN - 1)
        end = start + want
        if end > self.fsize:
            end = self.fsize
        self._unmap()
        if pl_guard_install() != 0:
            self.mapped = False
            return self._fill_read()
        try:
            now = os.fstat(self.fd).st_size
        except OSError:
            now = end
        if now < end:
            # Cut shorter since it was opened: read what is still there, then stop.
            self._shrank(now)
            end = now if now > base else base
            self.fsize = end
        self.src.base_off = base
        self.src.pos = 0
        self.src.eof = 1 if end >= self.fsize else 0
        if end <= base:
            self.src.data = EMPTY
            self.src.len = 0
            self.src.eof = 1
            return 0
        m = mmap(NULL, end - start, PROT_READ, MAP_SHARED, self.fd, start)
        if m == MAP_FAILED:
            self.mapped = False
            return self._fill_read()
        slot = pl_guard_add(<uintptr_t>m, <uintptr_t>m + (end - start))
        if slot < 0:
            munmap(m, end - start)
            self.mapped = False
            return self._fill_read()
        madvise(m, end - start, MADV_SEQUENTIAL)
        self.map = <uint8_t*>m
        self.maplen = end - start
        self.slot = slot
        self.src.cut = pl_guard_flag(slot)
        self.src.data = self.map + (base - start)
        self.src.len = end - base
        self.src.pf = self.src.data
        self.src.mapped = 1
        return 0

    cdef _shrank(self, uint64_t end):
        self.error = "the file shrank while it was being read (ends at byte %d)" % end

    cdef void _unmap(self) noexcept:
        pl_guard_del(self.slot)
        self.slot = -1
        self.src.cut = pl_guard_flag(-1)
        self.src.mapped = 0
        if self.map != NULL:
            munmap(self.map, self.maplen)
            self.map = NULL
            self.maplen = 0
            self.src.data = EMPTY
            self.src.len = 0

    cdef int _fill_read(self) except -1:
        """pread(): keep the unread tail, then read on into one reused buffer, sized to
        stay in cache; a file cut shorter gives a short read and a clean error."""
        cdef size_t rest = self.src.len - self.src.pos if self.src.len else 0
        cdef size_t want = READ_AT_ONCE
        cdef size_t have
        cdef ssize_t got = 1
        cdef uint64_t base = self.src.base_off + self.src.pos
        cdef uint8_t* nb
        if want < self.src.need:
            want = self.src.need
        if want > self.bufcap:
            nb = <uint8_t*>malloc(want)
            if nb == NULL:
                raise MemoryError("cannot allocate the read buffer")
            if rest:
                memcpy(nb, self.src.data + self.src.pos, rest)
            free(self.buf)
            self.buf = nb
            self.bufcap = want
        elif rest:
            memmove(self.buf, self.src.data + self.src.pos, rest)
        have = rest
        with nogil:
            while have < self.bufcap and base + have < self.fsize:
                got = pread(self.fd, self.buf + have, self.bufcap - have, base + have)
                if got <= 0:
                    break
                have += got
        if got < 0:
            self.error = "read error: %s" % os.strerror(errno)
            self.src.eof = 1
        elif base + have < self.fsize and have < self.bufcap:
            # pread found the end before the size the file had when opened.
            self._shrank(base + have)
            self.src.eof = 1
        elif base + have >= self.fsize:
            self.src.eof = 1
        self.src.base_off = base
        self.src.data = self.buf if have else EMPTY
        self.src.len = have
        self.src.pos = 0
        return 0

    cdef int _refill(self) except -1:
        cdef size_t need, have
        if self.src.eof:
            return 0
        if not self.streaming:
            return self._fill()
        need = self.src.need
        if need < CHUNK:
            need = CHUNK
        rest = self.hold[self.src.pos:self.src.len] if self.src.len else b""
        parts = [rest]
        have = len(rest)
        try:
            while have < need:
                # read1 returns what one underlying read decompresses, so a damaged gzip
                # tail loses only the bytes after the damage.
                b = self.fh.read1(CHUNK) if self.compressed else self.fh.read(CHUNK)
                if not b:
                    self.src.eof = 1
                    break
                parts.append(b)
                have += len(b)
        except (OSError, EOFError, ValueError, zlib.error) as e:
            # A damaged gzip stream: keep what was decompressed, then stop at it.
            self.src.eof = 1
            self.error = "compressed stream is damaged: %s" % (e,)
        self.src.base_off += self.src.pos
        self.hold = b"".join(parts)
        self.src.data = <const uint8_t*>PyBytes_AS_STRING(self.hold) if have else EMPTY
        self.src.len = have
        self.src.pos = 0
        return 0

    @property
    def format(self):
        return {FMT_PCAP: "pcap", FMT_PCAPNG: "pcapng"}.get(self.src.fmt, "unknown")

    @property
    def records(self):
        return self.src.recno

    @property
    def offset(self):
        """Bytes of the input consumed so far (of the decompressed stream for gzip)."""
        return self.src.base_off + self.src.pos

    def close(self):
        self._unmap()
        free(self.buf)
        self.buf = NULL
        self.bufcap = 0
        if self.fd >= 0:
            c_close(self.fd)
            self.fd = -1
        # A closed capture holds no data: fmt 0 makes FlowTable.process refuse it, and
        # len = pos = 0 leaves nothing a later read could walk into.
        # base_off takes pos in, so `offset` still says how far the reading got.
        self.src.fmt = 0
        self.src.data = EMPTY
        self.src.base_off += self.src.pos
        self.src.len = 0
        self.src.pos = 0
        self.src.eof = 1
        if self.fh is not None and self.fh is not sys.stdin.buffer:
            try:
                self.fh.close()
            except Exception:
                pass
        self.fh = None
        self.hold = None

    def __dealloc__(self):
        self._unmap()
        free(self.buf)
        if self.fd >= 0:
            c_close(self.fd)
        free(self.src.ifs)


# What the packet loop reads: compiled once per kind (a fused type), so that the
# per-record branches on byte order and resolution fold away.
ctypedef struct PcapUs:         # classic pcap, host byte order, microseconds
    char unused
ctypedef struct PcapNs:         # classic pcap, host byte order, nanoseconds
    char unused
ctypedef struct AnyFormat:      # anything else: the general reader
    char unused
ctypedef fused ReadKind:
    PcapUs
    PcapNs
    AnyFormat


cdef int run_loop_as(Core* c, Src* s, uint32_t max_records, uint64_t max_arena,
                     uint64_t stop_at, ReadKind* kind) noexcept nogil:
    """The packet loop: read, decode, fold into flows, until a batch is full, the
    packet count reaches `stop_at`, or the window/input ends."""
    cdef Raw raw
    cdef Pkt p
    cdef int rc = RD_PKT
    # Counted in registers, stored back once: nothing the loop calls reads them.
    cdef uint64_t npk = c.stats.packets, nbytes = c.stats.bytes
    c.batch_recs = max_records
    c.batch_bytes = max_arena
    c.full = c.nrec >= max_records or c.alen >= max_arena
    while npk < stop_at and not (c.full | c.oom):
        if ReadKind is PcapUs:
            rc = src_pcap_next(s, &raw, 0, 0)
        elif ReadKind is PcapNs:
            rc = src_pcap_next(s, &raw, 0, 1)
        else:
            rc = src_next(s, &raw)
        if rc != RD_PKT:
            break
        npk += 1
        nbytes += raw.wirelen
        p.ts = raw.ts
        p.wirelen = raw.wirelen
        p.tunnel = 0
        p.vlan = -1
        # Common frames (Ethernet, at most one VLAN tag, IPv4 without options or IPv6
        # without extension headers) take a straight path (dec_common, inlined); anything
        # else, or anything damaged, the layered decoders. A packet of the same flow as
        # the one before is then folded in inline (flow_packet_quick), the rest by
        # flow_packet.
        if decode_frame(c, raw.linktype, raw.data, raw.caplen, &p) == DEC_OK:
            # Sharded (one of several workers on this capture): another shard's packet
            # moves the clock and nothing else. The test is constant over a run, so it
            # costs an unsharded reader one predicted branch.
            if c.cfg.shard_n > 1 and shard_of(&p, c.cfg.shard_n) != c.cfg.shard_k:
                shard_skip(c, &p)
            elif not flow_packet_quick(c, &p):
                flow_packet(c, &p)
    c.stats.packets = npk
    c.stats.bytes = nbytes
    if PL_UNLIKELY(c.oom):
        return RD_ERR
    return rc


cdef int run_loop(Core* c, Src* s, uint32_t max_records, uint64_t max_arena,
                  uint64_t stop_at) noexcept nogil:
    if s.fmt == FMT_PCAP and not s.swapped:
        if s.nsec:
            return run_loop_as(c, s, max_records, max_arena, stop_at, <PcapNs*>NULL)
        return run_loop_as(c, s, max_records, max_arena, stop_at, <PcapUs*>NULL)
    return run_loop_as(c, s, max_records, max_arena, stop_at, <AnyFormat*>NULL)


def _seconds(value, name):
    v = float(value)
    if not v > 0:
        raise ValueError("%s must be a positive number of seconds" % name)
    return <int64_t>(v * 1e9)


cdef class FlowTable:
    """The flow table. Feed it a Capture with `process` (or live packets with
    `feed`), collect finished flows with `take`, and call `flush` at end of input."""
    cdef Core c

    def __cinit__(self):
        memset(&self.c, 0, sizeof(Core))

    def __init__(self, payload_bytes=4096, udp_datagrams=8, idle_tcp=300.0, idle_udp=120.0,
                 closed=10.0, active=1800.0, max_flows=65536, max_payload_mem=64 << 20,
                 decap=True, frag_slots=64, frag_timeout=30.0, shard=(0, 1)):
        if not 0 <= int(payload_bytes) <= 1 << 24:
            raise ValueError("payload_bytes must be between 0 and 16 MiB")
        if not 0 <= int(udp_datagrams) <= MAX_DGRAMS:
            raise ValueError("udp_datagrams must be between 0 and %d" % MAX_DGRAMS)
        if not 1 <= int(max_flows) <= 1 << 30:
            raise ValueError("max_flows must be at least 1")
        if not 1 <= int(frag_slots) <= 1 << 16:
            raise ValueError("frag_slots must be between 1 and 65536")
        self.c.cfg.payload_bytes = payload_bytes
        self.c.cfg.udp_datagrams = udp_datagrams
        self.c.cfg.idle_tcp = _seconds(idle_tcp, "idle_tcp")
        self.c.cfg.idle_udp = _seconds(idle_udp, "idle_udp")
        self.c.cfg.closed = _seconds(closed, "closed")
        self.c.timeout[<int>L_TCP] = self.c.cfg.idle_tcp
        self.c.timeout[<int>L_UDP] = self.c.cfg.idle_udp
        self.c.timeout[<int>L_CLOSED] = self.c.cfg.closed
        self.c.cfg.active = _seconds(active, "active")
        self.c.cfg.max_flows = max_flows
        self.c.cfg.max_payload_mem = max(int(max_payload_mem), int(payload_bytes) * 2)
        self.c.cfg.decap = 1 if decap else 0
        self.c.cfg.frag_slots = frag_slots
        self.c.cfg.frag_timeout = _seconds(frag_timeout, "frag_timeout")
        k, n = shard
        if not 0 <= int(k) < int(n) <= 1 << 16:
            raise ValueError("shard must be (k, n) with 0 <= k < n <= 65536")
        self.c.cfg.shard_k = k
        self.c.cfg.shard_n = n
        if self.c.flows == NULL and table_init(&self.c) != 0:
            raise MemoryError("cannot allocate the flow table")

    def __dealloc__(self):
        table_free(&self.c)
        frag_free_all(&self.c)

    def process(self, Capture cap, uint32_t max_records=256, uint64_t max_arena=1 << 20,
                uint64_t max_packets=0):
        """Read packets until `max_records` flows have finished (or their payload
        reaches `max_arena` bytes), `max_packets` packets were read in this call (0:
        no limit; lets a caller show progress through long flow-less stretches), or
        the input ends. Returns 0 when a batch may be ready and more input remains,
        1 at the clean end of input, 2 when reading stopped on damage (`cap.error`
        says what)."""
        cdef int rc
        cdef uint64_t stop_at = self.c.stats.packets + max_packets if max_packets else <uint64_t>-1
        if cap.src.fmt == 0:
            raise ValueError("capture is closed")
        cap.src.stats = &self.c.stats
        while True:
            with nogil:
                rc = run_loop(&self.c, &cap.src, max_records, max_arena, stop_at)
            if self.c.oom:
                raise MemoryError("out of memory in the flow table")
            if rc == RD_NEED:
                if cap.src.eof:
                    # Cannot happen with a consistent parser; fail loudly rather than spin.
                    cap.error = "internal error: more data requested after end of input"
                    return 2
                cap._refill()
                continue
            if rc == RD_PKT:
                return 0
            if rc == RD_END:
                return 2 if cap.error else 1
            msg = cap.src.errmsg.decode("utf-8", "replace")
            cap.error = "%s; %s" % (cap.error, msg) if cap.error else msg
            return 2

    def feed(self, int64_t ts_ns, int linktype, const uint8_t[::1] frame, uint32_t wirelen=0):
        """Fold one live packet (from pcapy or any other source) into the table."""
        cdef Pkt p
        cdef uint32_t n = frame.shape[0]
        if n == 0:
            return
        self.c.stats.packets += 1
        self.c.stats.bytes += wirelen if wirelen > n else n
        p.ts = ts_ns
        p.wirelen = wirelen if wirelen > n else n
        p.tunnel = 0
        p.vlan = -1
        with nogil:
            if decode_frame(&self.c, linktype, &frame[0], n, &p) == DEC_OK:
                flow_packet(&self.c, &p)
        if self.c.oom:
            raise MemoryError("out of memory in the flow table")

    def feed_batch(self, const uint8_t[::1] frames, const uint8_t[::1] meta, int linktype):
        """Fold a batch of live packets: `frames` holds them back to back and `meta` one
        16-byte record each of native uint32 (seconds, microseconds, offset, caplen), as
        pcapy-ng's next_batch() returns them. One call per batch, none per packet."""
        cdef Py_ssize_t n = meta.shape[0] // 16, i
        cdef uint32_t rec[4]
        cdef Pkt p
        cdef Py_ssize_t total = frames.shape[0]
        if n == 0:
            return 0
        with nogil:
            for i in range(n):
                memcpy(rec, &meta[i * 16], 16)
                if <Py_ssize_t>rec[2] + rec[3] > total or rec[3] == 0:
                    self.c.stats.damaged_records += 1
                    continue
                self.c.stats.packets += 1
                self.c.stats.bytes += rec[3]
                p.ts = <int64_t>rec[0] * 1000000000 + <int64_t>rec[1] * 1000
                p.wirelen = rec[3]
                p.tunnel = 0
                p.vlan = -1
                if decode_frame(&self.c, linktype, &frames[rec[2]], rec[3], &p) == DEC_OK:
                    flow_packet(&self.c, &p)
        if self.c.oom:
            raise MemoryError("out of memory in the flow table")
        return n

    def feed_index(self, const uint8_t[::1] frames, const uint8_t[::1] index, int linktype):
        """Fold a batch of packets described by `index`: one 24-byte record each of
        native (int64 ts_ns, uint64 offset, uint32 caplen, uint32 wirelen), the layout of
        classifier.api.PACKET_DTYPE. Unlike feed_batch it keeps nanoseconds and the
        original length of a snapped frame (wirelen 0 or below caplen: caplen).
        Records whose bytes lie outside `frames` are counted as damaged_records.
        Returns the number of records."""
        cdef Py_ssize_t n = index.shape[0] // 24, i
        cdef int64_t ts
        cdef uint64_t off
        cdef uint32_t lens[2]
        cdef Pkt p
        cdef uint64_t total = <uint64_t>frames.shape[0]
        if index.shape[0] % 24:
            raise ValueError("index length is not a multiple of 24 bytes")
        if n == 0:
            return 0
        with nogil:
            for i in range(n):
                memcpy(&ts, &index[i * 24], 8)
                memcpy(&off, &index[i * 24 + 8], 8)
                memcpy(lens, &index[i * 24 + 16], 8)
                if lens[0] == 0 or off > total or lens[0] > total - off:
                    self.c.stats.damaged_records += 1
                    continue
                p.wirelen = lens[1] if lens[1] > lens[0] else lens[0]
                self.c.stats.packets += 1
                self.c.stats.bytes += p.wirelen
                p.ts = ts
                p.tunnel = 0
                p.vlan = -1
                if decode_frame(&self.c, linktype, &frames[off], lens[0], &p) == DEC_OK:
                    flow_packet(&self.c, &p)
        if self.c.oom:
            raise MemoryError("out of memory in the flow table")
        return n

    def tick(self, int64_t now_ns):
        """Expire idle flows as of `now_ns` (live capture: call it when the wire is quiet)."""
        if now_ns > self.c.now:
            self.c.now = now_ns
        expire(&self.c, self.c.now)

    def flush(self, uint32_t max_records=0, uint64_t max_arena=0):
        """End live flows: the input is over. With no bound, every live flow; with
        `max_records` (and/or `max_arena` payload bytes), only until that many wait
        for `take()`, so that the end of a large capture is handed over in bounded
        batches. Returns the number of flows still live:

            while True:
                more = engine.flush(1024)
                handle(engine.take())
                if not more: break
        """
        return flush_some(&self.c, max_records, max_arena)

    def take(self):
        """Return and clear the finished flows: (records, payload, count). Both are
        read-only buffers that take over the engine's memory, so handing a batch to
        Python copies nothing; the engine starts the next batch in fresh buffers."""
        cdef FlowRec* nr
        cdef uint8_t* na
        n = self.c.nrec
        if n == 0:
            return Buffer.wrap(NULL, 0), Buffer.wrap(NULL, 0), 0
        nr = <FlowRec*>malloc(self.c.reccap * sizeof(FlowRec))
        na = <uint8_t*>malloc(ARENA_FIRST)
        if nr == NULL or na == NULL:
            free(nr)
            free(na)
            raise MemoryError("out of memory for a flow batch")
        recs = Buffer.wrap(<uint8_t*>self.c.recs, n * sizeof(FlowRec))
        arena = Buffer.wrap(self.c.arena, self.c.alen)
        self.c.recs = nr
        self.c.arena = na
        self.c.acap = ARENA_FIRST
        self.c.nrec = 0
        self.c.alen = 0
        return recs, arena, n

    @property
    def pending(self):
        return self.c.nrec

    @property
    def live_flows(self):
        return self.c.nlive

    @property
    def payload_memory(self):
        return self.c.paymem

    def stats(self):
        cdef Stats s = self.c.stats
        d = dict(s)
        d["live_flows"] = self.c.nlive
        d["unsupported_link_types"] = {self.c.unsup_lt[i]: self.c.unsup_n[i] for i in range(self.c.nunsup)}
        return d


def record_layout():
    """The flow record's fields as (name, numpy format, byte offset), and its size."""
    cdef FlowRec r
    cdef char* b = <char*>&r
    fields = [
        ("ts_start", "<i8", <char*>&r.ts_start - b),
        ("ts_end", "<i8", <char*>&r.ts_end - b),
        ("packets_c2s", "<u8", <char*>&r.pkts_c2s - b),
        ("packets_s2c", "<u8", <char*>&r.pkts_s2c - b),
        ("bytes_c2s", "<u8", <char*>&r.bytes_c2s - b),
        ("bytes_s2c", "<u8", <char*>&r.bytes_s2c - b),
        ("pay_off", "<u8", <char*>&r.pay_off - b),
        ("pay_len_c2s", "<u4", <char*>&r.pay_len_c2s - b),
        ("pay_len_s2c", "<u4", <char*>&r.pay_len_s2c - b),
        ("vlan", "<i4", <char*>&r.vlan - b),
        ("client_port", "<u2", <char*>&r.cport - b),
        ("server_port", "<u2", <char*>&r.sport - b),
        ("client_addr", ("u1", (16,)), <char*>&r.cli - b),
        ("server_addr", ("u1", (16,)), <char*>&r.srv - b),
        ("proto", "u1", <char*>&r.proto - b),
        ("ipver", "u1", <char*>&r.ipver - b),
        ("tunnel", "u1", <char*>&r.tunnel - b),
        ("end_reason", "u1", <char*>&r.end_reason - b),
        ("by_syn", "u1", <char*>&r.by_syn - b),
        ("tcp_flags_c2s", "u1", <char*>&r.tcpflags_c2s - b),
        ("tcp_flags_s2c", "u1", <char*>&r.tcpflags_s2c - b),
        ("npk", "u1", <char*>&r.npk - b),
        ("stream_flags_c2s", "u1", <char*>&r.stream_flags_c2s - b),
        ("stream_flags_s2c", "u1", <char*>&r.stream_flags_s2c - b),
        ("ndgram_c2s", "u1", <char*>&r.ndgram_c2s - b),
        ("ndgram_s2c", "u1", <char*>&r.ndgram_s2c - b),
        ("dgram_len_c2s", ("<u2", (MAX_DGRAMS,)), <char*>&r.dgram_len_c2s - b),
        ("dgram_len_s2c", ("<u2", (MAX_DGRAMS,)), <char*>&r.dgram_len_s2c - b),
        ("pk_size", ("<u2", (NPK,)), <char*>&r.pk_size - b),
        ("pk_dir", ("u1", (NPK,)), <char*>&r.pk_dir - b),
        ("pk_iat", ("<u4", (NPK,)), <char*>&r.pk_iat - b),
    ]
    return fields, sizeof(FlowRec)
