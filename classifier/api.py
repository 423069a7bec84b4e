"""The library an IDS embeds: feed packets or byte streams, get labelled flows back.

    from classifier.api import Classifier, classify_stream, live

    with Classifier(capture="sensor-1") as clf:            # packets you already hold
        clf.on_flow(lambda flow: print(flow.protocol, flow.verdict))
        for ts, frame in my_source():
            clf.feed(ts, 1, frame)                          # 1: Ethernet (a DLT_ number)
    # leaving the block ends every open flow and hands it to the callbacks

    flow = classify_stream(request_bytes, response_bytes, "tcp")  # streams you reassembled
    with live("eth0", "tcp or udp") as session:             # an interface
        for flow in session: ...

Every flow comes back as a `FlowResult` whose `to_dict()` is exactly the record the
JSON lines output writes for it (docs/output.md). Detection is the same everywhere: the
fast path's payload prefixes and packet shapes go through the payload detectors, the
model and the port registry of `classifier.pipeline.Analyzer`, so `Classifier.feed`
over a capture's packets gives the records `classifier.analyze` gives for the file.

Errors are `classifier.errors` types: `InputError` (also a ValueError) for an argument
the API cannot use, `ModelError` and the site-file errors (PortlensError) for options,
`PortlensError` for an interface that cannot be captured on, `MissingDependencyError`
for an optional package that is not installed. Damaged frames are never an error:
the fast path counts them (`stats()`), as it does for a capture file.

Threads: two `Classifier` instances share no mutable state (each has its own flow
table, detector engine and its memo, model copy, port-registry caches and FTP linker;
only read-only tables are shared), so each may run in its own thread;
the fast path releases the GIL while it folds packets. One instance serialises its
calls with a lock, so it may be fed from one thread and drained (iterated) from
another; callbacks run in the thread whose call delivered the flows.
"""
from __future__ import annotations

import collections
import copy
import ipaddress
import numbers
import operator
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from typing import (TYPE_CHECKING, Any, Callable, Deque, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple, Union)

import numpy as np

from .errors import InputError, MissingDependencyError, PortlensError
from .flows import RECORD_DTYPE, FlowBatch, FlowConfig

if TYPE_CHECKING:                                       # pragma: no cover - typing only
    from .live import LiveCapture
    from .pipeline import Analyzer

__all__ = ["Classifier", "FlowResult", "FlowConfig", "LiveSession", "PACKET_DTYPE", "analyze",
           "classify_stream", "live", "packet_index", "to_arrow", "to_dataframe"]

#: One packet of a `Classifier.feed_batch` index, native byte order, 24 bytes:
#: capture time in nanoseconds since the epoch, offset of the frame in the frames buffer,
#: bytes captured, and the frame's length on the wire (0: the same as caplen).
PACKET_DTYPE = np.dtype([("ts_ns", "=i8"), ("offset", "=u8"), ("caplen", "=u4"), ("wirelen", "=u4")])

#: Where a caller's stream, datagram and packet lists are cut, as the fast path cuts them.
PACKETS_KEPT = 32

ML_MODES = ("off", "fallback", "all")
FlowCallback = Callable[["FlowResult"], Any]
PathLike = Union[str, "os.PathLike[str]"]
Packet = Union[Tuple[int, int], Tuple[int, int, float]]
#: A time in seconds since the epoch: float, int, Decimal (Scapy's packet.time) or Fraction.
Seconds = Union[float, Decimal, Fraction]

_STAGE_FIELDS = ("ml", "port_service", "port_class", "verdict_reason")


@dataclass(slots=True)
class FlowResult:
    """One labelled flow: every field of the JSON lines record (docs/output.md).

    A dataclass rather than a TypedDict: attribute access is checked by mypy and costs
    no dict per flow in a hot consumer, the type is a real class for isinstance and
    pattern matching, and `to_dict()` gives the record a JSON writer wants.
    `flow["protocol"]` also works, for code written against `classifier.analyze`'s dicts.

    Addresses and ports are oriented: the client opened the flow (sent the SYN, or
    the first packet seen). `protocol` is what the payload shows ("unknown" when
    nothing does) and `source` who said so ("dpi", "ml", "dpi+ml" or "none");
    `port_protocol` (what the port registry implies) and `verdict` are set beside it.
    """
    capture: str                        #: capture file, "live:<iface>", or the Classifier's capture name
    ts_start: float                     #: first packet, seconds since the epoch (microseconds kept)
    ts_end: float                       #: last packet
    transport: str                      #: "tcp", "udp", "icmp", ... ("ip-<n>" for the rest)
    client: str                         #: address of the side that opened the flow
    client_port: int
    server: str
    server_port: int
    vlan: Optional[int]                 #: innermost 802.1Q VLAN ID, None untagged
    tunnel: Optional[str]               #: encapsulations crossed, e.g. "gre+vxlan"
    packets_c2s: int
    packets_s2c: int
    bytes_c2s: int                      #: frame bytes on the wire (payload bytes for classify_stream)
    bytes_s2c: int
    protocol: str                       #: the observed application protocol, or "unknown"
    source: str                         #: "dpi", "ml", "dpi+ml" or "none"
    confidence: Optional[float]
    port_protocol: Optional[str]        #: what the server port implies, per the registry
    verdict: Optional[str]              #: "match", "mismatch", "unregistered-port", ... or None
    metadata: Dict[str, Any]            #: what the detector extracted (SNI, host, fingerprints, ...)
    community_id: Optional[str]         #: Community ID v1 ("1:..."), None for transports without ports
    end_reason: str                     #: "eof", "idle-timeout", "active-timeout", "closed", "evicted"
    tcp_flags: Optional[Dict[str, str]]     #: {"c2s": "SA...", "s2c": ...} for TCP, else None
    payload: Dict[str, Any]             #: payload bytes kept per direction, and stream notes
    ml: Optional[Dict[str, Any]] = None     #: the model's opinion {"protocol", "probability"}, or None
    port_service: Optional[str] = None
    port_class: Optional[str] = None
    verdict_reason: Optional[str] = None
    #: Which of the stage fields (ml, port_service, port_class, verdict_reason) the run
    #: produced: `to_dict()` has exactly these after the flow fields (no `ml` with ml off).
    stages: Tuple[str, ...] = field(default=_STAGE_FIELDS, repr=False, compare=False)

    @classmethod
    def from_dict(cls, rec: Dict[str, Any]) -> "FlowResult":
        """The result of an output record (a dict of `classifier.analyze` or a JSON
        line). Raises InputError when a flow field is missing."""
        try:
            return cls(**{k: rec[k] for k in _FLOW_FIELDS},
                       **{k: rec[k] for k in _STAGE_FIELDS if k in rec},
                       stages=tuple(k for k in _STAGE_FIELDS if k in rec))
        except KeyError as e:
            raise InputError(f"not a portlens flow record: no {e.args[0]!r} field") from None

    def to_dict(self) -> Dict[str, Any]:
        """The JSON lines record of this flow: the same keys, in the same order, with
        the same values as `portlens analyze -f jsonl` writes."""
        out = {k: getattr(self, k) for k in _FLOW_FIELDS}
        for k in self.stages:
            out[k] = getattr(self, k)
        return out

    def __getitem__(self, key: str) -> Any:
        """`flow["protocol"]`: the record's field, as in analyze()'s dicts."""
        if key in _FLOW_FIELDS or key in self.stages:
            return getattr(self, key)
        raise KeyError(key)


_FLOW_FIELDS = tuple(f.name for f in fields(FlowResult) if f.name not in _STAGE_FIELDS + ("stages",))


def to_dataframe(results: Iterable[FlowResult]) -> Any:
    """A pandas DataFrame, one row per flow and one column per record field (nested
    fields such as `metadata` stay dicts). Raises MissingDependencyError without pandas."""
    try:
        import pandas as pd  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        raise MissingDependencyError("to_dataframe needs pandas: pip install pandas") from None
    rows = [r.to_dict() for r in results]
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else list(_FLOW_FIELDS + _STAGE_FIELDS))


def to_arrow(results: Iterable[FlowResult]) -> Any:
    """A pyarrow Table, one row per flow. `metadata` is a JSON text column (each
    detector has its own keys, which no single Arrow struct type holds); `ml`,
    `tcp_flags` and `payload` are structs. Raises MissingDependencyError without pyarrow."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        raise MissingDependencyError("to_arrow needs pyarrow: pip install pyarrow") from None
    import json
    rows = []
    for r in results:
        d = r.to_dict()
        d["metadata"] = json.dumps(d["metadata"], default=str, ensure_ascii=False)
        rows.append(d)
    return pa.Table.from_pylist(rows)


def packet_index(ts_ns: Any, offsets: Any, caplens: Any, wirelens: Any = None) -> np.ndarray:
    """A `PACKET_DTYPE` index for `Classifier.feed_batch` from parallel sequences or
    arrays: capture times (int nanoseconds), frame offsets in the frames buffer, bytes
    captured and (optional) wire lengths."""
    ts = np.asarray(ts_ns, dtype=np.int64)
    idx = np.empty(len(ts), PACKET_DTYPE)
    idx["ts_ns"] = ts
    idx["offset"] = np.asarray(offsets, dtype=np.uint64)
    idx["caplen"] = np.asarray(caplens, dtype=np.uint32)
    idx["wirelen"] = 0 if wirelens is None else np.asarray(wirelens, dtype=np.uint32)
    return idx


def _is_real_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, complex)


def _seconds_to_ns(timestamp: Any) -> int:
    """Seconds (float, int, Decimal, Fraction) to integer nanoseconds, rounded to the
    microsecond for a float (whose last bits are noise at today's epoch: ~240 ns)."""
    if not _is_real_number(timestamp):
        # Checked first: "noon" * 1_000_000_000 would build a 4 GB string before failing.
        raise InputError(f"timestamp must be a finite number of seconds, not {timestamp!r:.40}")
    try:
        if isinstance(timestamp, float):
            ns = round(timestamp * 1_000_000) * 1000
        elif isinstance(timestamp, int):
            ns = timestamp * 1_000_000_000
        else:
            ns = int(round(timestamp * 1_000_000_000))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        raise InputError(f"timestamp must be a finite number of seconds, not {timestamp!r:.40}") from None
    if not -(1 << 63) <= ns < (1 << 63):
        raise InputError(f"timestamp {timestamp!r:.40} is out of range")
    return ns


def _analyzer(ml: str, model: Optional[str], site_ports: Union[PathLike, Sequence[PathLike]],
              min_confidence: float = 0.0) -> "Analyzer":
    """An Analyzer of its own: its own detector engine (the shared default one has a
    memo and error counts), model loaded afresh, its own FTP linker."""
    from .detectors.engine import Engine as DetectorEngine
    from .pipeline import Analyzer
    from . import schema
    if ml not in ML_MODES:
        raise InputError(f"ml must be one of {', '.join(ML_MODES)}, not {ml!r}")
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)) \
            or not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"min_confidence must be a probability between 0 and 1, not {min_confidence!r:.40}")
    if isinstance(site_ports, (str, os.PathLike)):
        site_ports = [site_ports]
    analyzer = Analyzer.from_options(ml=ml, model=model, site_ports=[os.fspath(p) for p in site_ports],
                                     min_confidence=float(min_confidence))
    if analyzer.engine is None:                 # (an engine with site rules is already its own)
        analyzer.engine = DetectorEngine()
    # The registry is loaded once per process and memoises its lookups and verdicts:
    # a copy of its own (the port tables themselves are read-only, shared) with caches
    # of its own.
    registry = copy.copy(analyzer.registry)
    registry._cache = {}
    registry.verdict_cache = {}
    analyzer.registry = registry
    with _INIT_LOCK:
        schema._tables()            # a lazily filled module list: fill it once, under a lock
    return analyzer


_INIT_LOCK = threading.Lock()


def _results(recs: List[Dict[str, Any]]) -> List[FlowResult]:
    """FlowResults of the pipeline's records (about a fifth of the labelling cost if
    done field by field: the values are picked in C, and no collection runs)."""
    from .detectors.engine import gc_paused
    if not recs:
        return []
    stages = tuple(k for k in _STAGE_FIELDS if k in recs[0])
    make: Any = FlowResult                      # positional: the fields in declaration order
    getter: Any = operator.itemgetter
    with gc_paused():
        if stages == _STAGE_FIELDS:
            pick = getter(*_FLOW_FIELDS, *_STAGE_FIELDS)
            return [make(*pick(rec)) for rec in recs]
        pick = getter(*_FLOW_FIELDS)
        return [make(*pick(rec), **{k: rec[k] for k in stages}, stages=stages) for rec in recs]


class Classifier:
    """A flow table and the labelling pipeline, fed with packets by the caller.

    Feed packets with `feed` (one at a time) or `feed_batch` (many per call, no Python
    object per packet). A flow is finished when the fast path ends it: FIN+FIN or RST
    and then `config.closed` seconds, idle for `config.idle_tcp` / `config.idle_udp`,
    older than `config.active`, evicted at `config.max_flows`, or ended by `flush()`.
    Time is the packets' own clock; call `tick()` when the wire is quiet.
    Finished flows are labelled in batches and delivered to the `on_flow` callbacks,
    or, when none is registered, queued for iteration (`for flow in clf:` takes what is
    ready and returns; drain it regularly, the queue is not bounded).

    Parameters:
        config: how flows are tracked (timeouts, payload budget, flow cap):
            a `FlowConfig`; None for the defaults of `portlens analyze`.
        ml: "fallback" (the model labels flows the detectors left unknown), "all"
            (a second opinion on every flow) or "off".
        model: a model directory; None for the shipped model.
        site_ports: site-ports TOML file(s) for the port registry (one path or several).
        capture: the `capture` field of every record (a sensor or interface name).
        hold_unlabelled: as `classifier.analyze` does, hold TCP flows the detectors did
            not label until 1024 more flows have ended (or `flush()`), so that an FTP
            data connection that ends before its control connection is still labelled
            ftp-data. False delivers every flow as soon as it ends; ftp-data is then
            linked only to announcements seen earlier.
        batch_flows: finished flows labelled together (the labelling cost per flow
            falls with the batch; the wait for a flow rises).
        max_delay: seconds of packet time a finished flow may wait for its batch to
            fill before it is labelled anyway.
        min_confidence: as `--min-confidence`: a label the model gave alone with a
            probability below it makes no verdict (judged as unidentified, its reason
            says why); the label itself stays, with source "ml".
    """

    def __init__(self, config: Optional[FlowConfig] = None, *, ml: str = "fallback",
                 model: Optional[str] = None, site_ports: Union[PathLike, Sequence[PathLike]] = (),
                 capture: str = "feed", hold_unlabelled: bool = True, batch_flows: int = 1024,
                 max_delay: float = 1.0, min_confidence: float = 0.0) -> None:
        if config is not None and not isinstance(config, FlowConfig):
            raise InputError(f"config must be a FlowConfig, not {type(config).__name__}")
        self.config = config or FlowConfig()
        try:
            self._engine: Any = self.config.engine()
        except (TypeError, ValueError) as e:
            raise InputError(f"flow config: {e}") from None
        if not isinstance(batch_flows, int) or batch_flows < 1:
            raise InputError("batch_flows must be a positive integer")
        if not isinstance(max_delay, (int, float)) or not max_delay >= 0:
            raise InputError("max_delay must be zero or more seconds")
        self._analyzer = _analyzer(ml, model, site_ports, min_confidence)
        self.capture = str(capture)
        self.hold_unlabelled = bool(hold_unlabelled)
        self._batch = batch_flows
        self._delay_ns = int(max_delay * 1e9)
        self._last_ns: Optional[int] = None     # packet time of the last delivery
        self._queue: Deque[FlowResult] = collections.deque()
        self._callbacks: List[FlowCallback] = []
        self._lock = threading.RLock()
        self._closed = False
        self._delivered = 0
        self._final_stats: Optional[Dict[str, Any]] = None

    # ----------------------------------------------------------------- packets in
    def feed(self, timestamp: Seconds, linktype: int, frame: Union[bytes, bytearray, memoryview],
             wirelen: int = 0) -> None:
        """Fold one packet into the flow table.

        Parameters:
            timestamp: capture time in seconds since the epoch (float, int or Decimal;
                a float is taken to the microsecond).
            linktype: the frame's link type, a pcap LINKTYPE_/DLT_ number (1 Ethernet,
                101 raw IP, 113 Linux cooked, 276 Linux cooked v2, ...).
            frame: the frame's bytes from the link-layer header on (bytes, bytearray
                or a contiguous memoryview); an empty frame is ignored.
            wirelen: the frame's length on the wire when `frame` was cut short by a
                snap length (0: len(frame)).
        """
        # The per-packet path: about 1 µs above the engine's own call.
        if type(timestamp) is float and -9.2e9 < timestamp < 9.2e9:     # finite, fits int64 ns
            ts = round(timestamp * 1_000_000) * 1000
        else:
            ts = _seconds_to_ns(timestamp)
        with self._lock:
            eng = self._engine
            if eng is None:
                raise InputError("this Classifier is closed")
            try:
                eng.feed(ts, linktype, frame, wirelen)
            except (TypeError, ValueError, OverflowError, BufferError) as e:
                raise InputError(f"feed: {e}") from None
            pending = eng.pending
            if pending and (pending >= self._batch or self._due(ts)):
                self._deliver(ts)

    def feed_batch(self, frames: Union[bytes, bytearray, memoryview, np.ndarray],
                   index: Union[np.ndarray, bytes, bytearray, memoryview], linktype: int) -> int:
        """Fold many packets in one call; returns how many index entries were read.

        Parameters:
            frames: one buffer holding the packets' frames (any order, gaps allowed).
            index: where each packet is and when it was seen, either a numpy array of
                `PACKET_DTYPE` (nanosecond times, wire lengths; see `packet_index`), or
                pcapy-ng's `next_batch()` index as it returns it (bytes of 16-byte
                native uint32 records: seconds, microseconds, offset, caplen).
                An entry pointing outside `frames` is counted as `damaged`, not fed.
            linktype: the link type of every frame (a pcap LINKTYPE_ number).
        """
        with self._lock:
            eng = self._open_engine()
            try:
                if isinstance(index, np.ndarray):
                    if index.dtype != PACKET_DTYPE:
                        raise InputError(f"feed_batch: index dtype {index.dtype} is not PACKET_DTYPE")
                    n = eng.feed_index(frames, np.ascontiguousarray(index).view(np.uint8).reshape(-1), linktype)
                    last = int(index["ts_ns"][-1]) if len(index) else None
                else:
                    if len(memoryview(index).cast("B")) % 16:
                        raise InputError("feed_batch: a pcapy-ng index has 16 bytes per packet")
                    n = eng.feed_batch(frames, index, linktype)
                    last = None
                    if n:
                        sec, usec = np.frombuffer(index, np.uint32)[-4:-2].tolist()
                        last = sec * 1_000_000_000 + usec * 1000
            except InputError:
                raise
            except (TypeError, ValueError, OverflowError, BufferError) as e:
                raise InputError(f"feed_batch: {e}") from None
            if eng.pending >= self._batch or (eng.pending and last is not None and self._due(last)):
                self._deliver(last)
            return int(n)

    def tick(self, timestamp: Optional[Seconds] = None) -> None:
        """End the flows idle as of `timestamp` (seconds since the epoch; None: now, by
        the wall clock) and deliver every finished flow. Call it while the wire is
        quiet, so that a flow is reported soon after it ends, not at the next packet."""
        ts = time.time_ns() if timestamp is None else _seconds_to_ns(timestamp)
        with self._lock:
            self._open_engine().tick(ts)
            self._deliver(ts)

    def poll(self) -> None:
        """Label and deliver the flows already finished (without waiting for
        `batch_flows` or `max_delay`); open flows stay open. Nothing after close()."""
        with self._lock:
            if self._engine is not None:
                self._deliver(self._last_ns)

    def flush(self) -> int:
        """End every open flow (the input is over, or the caller wants every flow now)
        and deliver them and every held one; returns how many flows it delivered.
        The classifier stays usable: later packets start new flows."""
        with self._lock:
            eng = self._open_engine()
            before = self._delivered
            while True:
                more = eng.flush(self._batch, 4 << 20)
                self._deliver(self._last_ns)
                if not more:
                    break
            self._dispatch(_results(self._analyzer.flush()))
            return self._delivered - before

    # ----------------------------------------------------------------- flows out
    def on_flow(self, callback: FlowCallback) -> FlowCallback:
        """Call `callback(flow)` for every flow from now on, in the thread whose call
        (feed, feed_batch, tick, poll, flush, close) finished it; flows go to the
        callbacks instead of the iteration queue. Returns the callback, so it can
        decorate a function. Flows already queued go to it at once. An exception
        from a callback propagates out of that call; flows not yet handed over stay
        queued and go out with the next delivery."""
        if not callable(callback):
            raise InputError("on_flow needs a callable")
        with self._lock:
            self._callbacks.append(callback)
            self._dispatch([])
        return callback

    def __iter__(self) -> Iterator[FlowResult]:
        """The finished flows delivered so far, oldest first, taken off the queue;
        labels the finished flows not yet labelled first. Returns when the queue is
        empty (iterate again after more packets)."""
        self.poll()
        queue = self._queue
        while True:
            try:
                yield queue.popleft()
            except IndexError:
                return

    def classify_stream(self, client_bytes: bytes, server_bytes: bytes, transport: str = "tcp",
                        datagrams: Optional[Sequence[Tuple[int, bytes]]] = None, *,
                        packets: Optional[Sequence[Packet]] = None, client: Optional[str] = None,
                        client_port: Optional[int] = None, server: Optional[str] = None,
                        server_port: Optional[int] = None, ts_start: Seconds = 0.0,
                        capture: Optional[str] = None) -> FlowResult:
        """`classify_stream` with this classifier's model, site ports and config
        (payload budget); the parameters are the module function's. It does not touch
        the flow table: streams and fed packets may be mixed."""
        with self._lock:
            if self._closed:
                raise InputError("this Classifier is closed")
            return _classify_stream(self, client_bytes, server_bytes, transport, datagrams, packets=packets,
                                    client=client, client_port=client_port, server=server,
                                    server_port=server_port, ts_start=ts_start, capture=capture)

    def stats(self) -> Dict[str, Any]:
        """Counters of the flow table so far: `packets` and `bytes` fed, `flows`
        finished, `live_flows` open, `evictions` (flows pushed out at the flow or
        payload-memory cap) and `evicted_packets`, `damaged` (index entries outside
        their buffer), `undecodable` (truncated or bad L2-L4 headers, unsupported
        link types), `non_ip`, `delivered` flows, `queued` flows not yet iterated,
        `held` unlabelled TCP flows waiting (see hold_unlabelled), `drops`: None, a
        Classifier cannot know what its source dropped (see `live` for a source that
        does), and `engine`: every counter of the fast path."""
        with self._lock:
            s = self._final_stats if self._engine is None else self._engine.stats()
            assert s is not None
            return {
                "packets": s["packets"], "bytes": s["bytes"], "flows": s["flows"],
                "live_flows": s["live_flows"], "evictions": s["evicted"],
                "evicted_packets": s["evicted_packets"], "damaged": s["damaged_records"],
                "undecodable": s["bad_link"] + s["bad_ip"] + s["bad_l4"] + s["unsupported_link"],
                "non_ip": s["non_ip"], "delivered": self._delivered, "queued": len(self._queue),
                "held": len(self._analyzer._held), "drops": None, "engine": s,
            }

    # ----------------------------------------------------------------- life
    def close(self) -> None:
        """Flush (every open flow is delivered) and release the flow table; calling
        it again does nothing. Queued flows can still be iterated after it; feeding
        raises InputError."""
        with self._lock:
            if self._closed:
                return
            try:
                self.flush()
            finally:
                self._closed = True
                self._final_stats = self._engine.stats()
                self._engine = None

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    def __enter__(self) -> "Classifier":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self._engine.live_flows} live flows"
        return f"<Classifier {self.capture!r} {state}, {self._delivered} delivered>"

    # ----------------------------------------------------------------- inside
    def _open_engine(self) -> Any:
        if self._engine is None:
            raise InputError("this Classifier is closed")
        return self._engine

    def _due(self, ts: int) -> bool:
        if self._last_ns is None:
            self._last_ns = ts
            return self._delay_ns == 0
        return ts - self._last_ns >= self._delay_ns

    def _deliver(self, ts: Optional[int]) -> None:
        """Label the flows the engine finished and hand them out."""
        from .flows import FlowBatch as _Batch
        if ts is not None:
            self._last_ns = ts
        eng = self._engine
        recs, arena, n = eng.take()
        if not n:
            self._dispatch([])
            return
        batch: FlowBatch = _Batch(self.capture, np.frombuffer(recs, dtype=RECORD_DTYPE), memoryview(arena))
        self._dispatch(_results(self._analyzer.push(batch, hold=self.hold_unlabelled)))

    def _dispatch(self, results: List[FlowResult]) -> None:
        queue = self._queue
        queue.extend(results)
        self._delivered += len(results)
        if not self._callbacks:
            return
        while queue:
            res = queue.popleft()
            for cb in self._callbacks:
                cb(res)


# --------------------------------------------------------------------- streams
def _address(text: Optional[str], name: str) -> Tuple[int, bytes]:
    if text is None:
        return 4, bytes(16)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not an IP address") from None
    return addr.version, addr.packed.ljust(16, b"\0")


def _port(value: Optional[int], name: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or not 0 <= value <= 65535:
        raise InputError(f"{name} must be a port number 0-65535")
    return value


def _as_bytes(data: Any, name: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise InputError(f"{name} must be bytes, not {type(data).__name__}")


def _classify_stream(clf: Classifier, client_bytes: bytes, server_bytes: bytes, transport: str,
                     datagrams: Optional[Sequence[Tuple[int, bytes]]], *,
                     packets: Optional[Sequence[Packet]] = None, client: Optional[str] = None,
                     client_port: Optional[int] = None, server: Optional[str] = None,
                     server_port: Optional[int] = None, ts_start: Seconds = 0.0,
                     capture: Optional[str] = None) -> FlowResult:
    from .flows import FlowBatch as _Batch
    from .flows import PACKETS_KEPT as _NPK
    client_bytes = _as_bytes(client_bytes, "client_bytes")
    server_bytes = _as_bytes(server_bytes, "server_bytes")
    if transport not in ("tcp", "udp"):
        raise InputError(f"transport must be 'tcp' or 'udp', not {transport!r}")
    budget = clf.config.payload_bytes
    cut = [False, False]
    kept: List[List[bytes]] = [[], []]              # UDP: the datagrams kept per direction
    if transport == "udp":
        if datagrams is None:
            datagrams = [(d, b) for d, b in ((0, client_bytes), (1, server_bytes)) if b]
        elif client_bytes or server_bytes:
            raise InputError("give UDP payload either as datagrams or as client/server bytes, not both")
        used = [0, 0]
        for item in datagrams:
            try:
                d, data = item
            except (TypeError, ValueError):
                raise InputError("datagrams must be (direction, bytes) pairs") from None
            if d not in (0, 1):
                raise InputError("a datagram's direction is 0 (client to server) or 1 (server to client)")
            data = _as_bytes(data, "a datagram")
            # the fast path's UDP budget: the first udp_datagrams datagrams per direction,
            # payload_bytes in all, the one crossing the budget cut short
            if len(kept[d]) >= clf.config.udp_datagrams:
                cut[d] = cut[d] or bool(data)
                continue
            take = min(len(data), budget - used[d])
            if take < len(data):
                cut[d] = True
                if take == 0:
                    continue
            kept[d].append(data[:take])
            used[d] += take
        streams = [b"".join(kept[0]), b"".join(kept[1])]
        shapes: List[Tuple[int, int, float]] = [(d, len(b), 0.0) for d, b in datagrams]
    else:
        if datagrams is not None:
            raise InputError("datagrams are for UDP; give TCP's packet sizes as packets=[(direction, size), ...]")
        streams = [client_bytes[:budget], server_bytes[:budget]]
        cut = [len(client_bytes) > budget, len(server_bytes) > budget]
        # Without packets: one request packet and one reply packet, each the size of its
        # whole stream (capped at 65535, an IP packet's limit): a single exchange.
        shapes = [(d, min(len(b), 65535), 0.0) for d, b in ((0, client_bytes), (1, server_bytes)) if b]
    if packets is not None:
        shapes = []
        for p in packets:
            if not isinstance(p, tuple) or len(p) not in (2, 3) or p[0] not in (0, 1):
                raise InputError("packets must be (direction, size) or (direction, size, gap_seconds) tuples")
            shapes.append((int(p[0]), int(p[1]), float(p[2]) if len(p) == 3 else 0.0))
    rec = np.zeros(1, RECORD_DTYPE)
    r = rec[0]
    start = _seconds_to_ns(ts_start)
    gaps = [round(g * 1e6) for _, _, g in shapes]
    r["ts_start"] = start
    r["ts_end"] = start + sum(gaps) * 1000
    r["proto"] = 6 if transport == "tcp" else 17
    cv, caddr = _address(client, "client")
    sv, saddr = _address(server, "server")
    if client is not None and server is not None and cv != sv:
        raise InputError("client and server addresses are of different IP versions")
    r["ipver"] = sv if server is not None else cv
    r["client_addr"] = np.frombuffer(caddr, np.uint8)
    r["server_addr"] = np.frombuffer(saddr, np.uint8)
    r["client_port"] = _port(client_port, "client_port")
    r["server_port"] = _port(server_port, "server_port")
    r["vlan"] = -1
    for d, name in ((0, "c2s"), (1, "s2c")):
        n_d = sum(1 for s in shapes if s[0] == d) or (1 if streams[d] or (transport == "tcp" and d == 0) else 0)
        r[f"packets_{name}"] = n_d
        r[f"bytes_{name}"] = sum(s[1] for s in shapes if s[0] == d) if packets is not None or transport == "udp" \
            else (len(client_bytes) if d == 0 else len(server_bytes))
        r[f"pay_len_{name}"] = len(streams[d])
        r[f"stream_flags_{name}"] = 4 if cut[d] else 0          # SF_TRUNCATED
        if transport == "udp":
            r[f"ndgram_{name}"] = len(kept[d])
            r[f"dgram_len_{name}"][:len(kept[d])] = [len(b) for b in kept[d]]
    first = shapes[:min(PACKETS_KEPT, _NPK)]
    r["npk"] = len(first)
    r["pk_size"][:len(first)] = [min(s[1], 65535) for s in first]
    r["pk_dir"][:len(first)] = [s[0] for s in first]
    r["pk_iat"][:len(first)] = [min(max(g, 0), 0xFFFFFFFF) for g in gaps[:len(first)]]
    batch: FlowBatch = _Batch(capture if capture is not None else "stream", rec,
                              memoryview(streams[0] + streams[1]))
    out = clf._analyzer.label(batch)[0]
    if server_port is None:
        # no port, nothing implied: the registry's stage has nothing to judge
        for k in ("port_protocol", "verdict", "port_service", "port_class", "verdict_reason"):
            if k in out:
                out[k] = None
    return _results([out])[0]


_LOCAL = threading.local()


def classify_stream(client_bytes: bytes, server_bytes: bytes, transport: str = "tcp",
                    datagrams: Optional[Sequence[Tuple[int, bytes]]] = None, *,
                    packets: Optional[Sequence[Packet]] = None, client: Optional[str] = None,
                    client_port: Optional[int] = None, server: Optional[str] = None,
                    server_port: Optional[int] = None, ts_start: Seconds = 0.0,
                    capture: Optional[str] = None, classifier: Optional[Classifier] = None) -> FlowResult:
    """Label a flow whose streams the caller already reassembled (a proxy, Suricata,
    Zeek): the same detectors, model and record as for a captured flow, built from
    what the fast path would have kept of it.

    Parameters:
        client_bytes: the client-to-server byte stream (TCP), from its start. Only the
            first `FlowConfig.payload_bytes` (4096) are looked at, as for a capture.
        server_bytes: the server-to-client byte stream.
        transport: "tcp" or "udp".
        datagrams: UDP only: the datagrams in the order they were seen, as
            (direction, payload) with direction 0 client-to-server, 1 server-to-client.
            Without it, a non-empty client_bytes / server_bytes is one datagram each.
        packets: optional packet shapes for the model, in order: (direction, payload
            size) or (direction, payload size, seconds since the previous packet); the
            first 32 are used. Without it the model sees, for TCP, one client packet the
            size of the client stream then one server packet the size of the server
            stream (a single exchange), and for UDP one packet per datagram.
        client, client_port, server, server_port: the flow's endpoints, if known: they
            go into the record and to the port registry's verdict (never to a
            detector). Without server_port the verdict fields are None.
        ts_start: the flow's start, seconds since the epoch (ts_end adds the gaps).
        capture: the record's `capture` field (default "stream").
        classifier: a Classifier whose options (ml, model, site ports, payload budget)
            to use; None: one with the defaults, one per thread.

    Returns a FlowResult; bytes_c2s / bytes_s2c count payload bytes (the sum of
    `packets` sizes when given), not frames. Raises InputError for bad arguments.
    """
    if classifier is None:
        classifier = getattr(_LOCAL, "classifier", None)
        if classifier is None:
            classifier = _LOCAL.classifier = Classifier(capture="stream")
    return classifier.classify_stream(client_bytes, server_bytes, transport, datagrams, packets=packets,
                                      client=client, client_port=client_port, server=server,
                                      server_port=server_port, ts_start=ts_start, capture=capture)


# --------------------------------------------------------------------- files
def analyze(path_or_paths: Union[PathLike, Sequence[PathLike]], config: Optional[FlowConfig] = None, *,
            ml: str = "fallback", model: Optional[str] = None,
            site_ports: Union[PathLike, Sequence[PathLike]] = ()) -> Iterator[FlowResult]:
    """Every flow of one capture file or of several, in turn, as FlowResults: the
    records of `classifier.analyze` (which gives them as dicts).

    Parameters:
        path_or_paths: a capture (pcap, pcapng, gzip of either; "-" for stdin) or a
            list of them.
        config: how flows are tracked; None for the defaults.
        ml, model, site_ports: as for `Classifier`.

    Raises CaptureError when a file cannot be opened, or when reading stops on damage
    (after the flows read before it were given)."""
    from .pipeline import analyze as _analyze
    if ml not in ML_MODES:
        raise InputError(f"ml must be one of {', '.join(ML_MODES)}, not {ml!r}")
    paths = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    if isinstance(site_ports, (str, os.PathLike)):
        site_ports = [site_ports]
    sites = [os.fspath(p) for p in site_ports]
    for path in paths:
        for rec in _analyze(os.fspath(path), config, ml=ml, model=model, site_ports=sites):
            yield _results([rec])[0]


# --------------------------------------------------------------------- live
_DROP_KEYS = {
    # what LiveCapture.stats may call the kernel's and the interface's drop counts
    "drops_kernel": ("drops_kernel", "kernel_drops", "dropped", "drops", "ps_drop"),
    "drops_interface": ("drops_interface", "interface_drops", "if_drops", "ifdrop", "ps_ifdrop"),
}


class LiveSession:
    """Labelled flows of an interface as they end: iterate it (`for flow in session`),
    or register `on_flow` callbacks and call `run()`. Made by `live()`, which ends it."""

    def __init__(self, capture: "LiveCapture", analyzer: "Analyzer", duration: Optional[float],
                 count: Optional[int]) -> None:
        self._cap = capture
        self._analyzer = analyzer
        self._duration = duration
        self._count = count
        self._stop = False
        self._gen: Optional[Iterator[FlowBatch]] = None
        self._done = False
        self._queue: Deque[FlowResult] = collections.deque()
        self._callbacks: List[FlowCallback] = []
        self.delivered = 0
        #: After the `with` block: the flows the session ended on exit, and those
        #: delivered but not iterated (an early break). Callbacks got them too.
        self.remaining: List[FlowResult] = []
        self.closed = False

    def on_flow(self, callback: FlowCallback) -> FlowCallback:
        """Call `callback(flow)` for every flow as it ends (also those flushed on exit)."""
        if not callable(callback):
            raise InputError("on_flow needs a callable")
        self._callbacks.append(callback)
        return callback

    def stop(self) -> None:
        """Ask the capture to stop (from a callback or another thread): iteration
        ends after the open flows were flushed and delivered."""
        self._stop = True

    def _batches(self) -> Iterator[FlowBatch]:
        if self._gen is None:
            self._gen = self._cap.batches(duration=self._duration, count=self._count,
                                          stop=lambda: self._stop)
        return self._gen

    def _label(self, batch: FlowBatch) -> List[FlowResult]:
        out = _results(self._analyzer.push(batch, hold=False))
        self.delivered += len(out)
        for res in out:
            for cb in self._callbacks:
                cb(res)
        return out

    def __iter__(self) -> Iterator[FlowResult]:
        """Each flow as it ends, until the duration, the packet count, `stop()` or
        Ctrl-C; then the flows still open, flushed."""
        gen = self._batches()
        while True:
            while self._queue:
                yield self._queue.popleft()
            if self._done or self.closed:
                return
            try:
                batch = next(gen)
            except StopIteration:
                self._done = True
                continue
            self._queue.extend(self._label(batch))

    def run(self) -> int:
        """Capture until the duration, count, stop() or Ctrl-C, handing each flow to
        the callbacks; returns the number of flows delivered."""
        for _ in self:
            pass
        return self.delivered

    def stats(self) -> Dict[str, Any]:
        """`packets`, `flows`, `evictions`, `drops_kernel` (packets the kernel dropped
        for want of buffer space) and `drops_interface` (dropped by the interface or
        its driver) as the capture reports them (None where it does not: libpcap
        gives them, the flow table's counters come at the end), `delivered` flows,
        and `capture`: every counter the capture gave."""
        s = dict(getattr(self._cap, "stats", None) or {})
        out: Dict[str, Any] = {"packets": s.get("packets"), "flows": s.get("flows"),
                               "evictions": s.get("evicted")}
        for name, keys in _DROP_KEYS.items():
            out[name] = next((s[k] for k in keys if k in s), None)
        out["delivered"] = self.delivered
        out["capture"] = s
        return out

    def _close(self) -> None:
        """Stop, flush the open flows (to the callbacks and `remaining`), release the
        capture handle."""
        if self.closed:
            return
        self._stop = True
        try:
            rest = list(self._queue)
            self._queue.clear()
            if not self._done:
                for batch in self._batches():       # stop() is true: flush, then close
                    rest.extend(self._label(batch))
                self._done = True
            self.remaining = rest
        finally:
            self.closed = True
            close = getattr(self._cap, "close", None)
            if callable(close):
                close()


@contextmanager
def live(interface: str, filter: Optional[str] = None, config: Optional[FlowConfig] = None, *,
         promisc: bool = False, duration: Optional[float] = None, count: Optional[int] = None,
         ml: str = "fallback", model: Optional[str] = None,
         site_ports: Union[PathLike, Sequence[PathLike]] = (), min_confidence: float = 0.0,
         **options: Any) -> Iterator[LiveSession]:
    """Capture on an interface and deliver each flow, labelled, as it ends.

        with live("eth0", "tcp port 443 or udp port 443", duration=60) as session:
            for flow in session:
                print(flow.protocol, flow.verdict)
        print(session.stats()["drops_kernel"])

    Leaving the block, by the end of iteration, an early `break` or an exception,
    stops the capture, ends every open flow (they go to the callbacks and to
    `session.remaining`) and releases the capture handle.

    Parameters:
        interface: the interface to capture on ("eth0", "lo").
        filter: a BPF capture filter ("tcp port 443"); None captures everything.
        config: how flows are tracked; None for the defaults.
        promisc: put the interface in promiscuous mode.
        duration: stop after this many seconds; None: until stopped.
        count: stop after this many packets; None: no limit.
        ml, model, site_ports, min_confidence: as for `Classifier`.
        options: passed on to `classifier.live.LiveCapture` (snaplen, buffer size, ...).

    Raises PortlensError when the interface cannot be captured on or the filter
    does not compile, and MissingDependencyError without pcapy-ng.
    """
    from .live import LiveCapture
    analyzer = _analyzer(ml, model, site_ports, min_confidence)
    try:
        import pcapy  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        raise MissingDependencyError("live capture needs pcapy-ng: pip install pcapy-ng") from None
    try:
        cap = LiveCapture(interface, filter, config, promisc=promisc, **options)
    except TypeError as e:
        raise InputError(f"live: {e}") from None
    session = LiveSession(cap, analyzer, duration, count)
    try:
        yield session
    finally:
        session._close()

