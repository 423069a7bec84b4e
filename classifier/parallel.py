"""`--jobs N`: analyze, flows and audit on several cores of one host.

The work is cut into tasks, each run by a worker process that opens the capture
itself (nothing but the path crosses over) and runs the same FlowReader and Analyzer
as `--jobs 1`; the workers send back labelled records, batch by batch, and the parent
writes them, counts them and prints the summaries exactly as the serial run does.

Tasks
    A capture of at least `SHARD_MIN_BYTES` (plain file, not gzip) is read by every
    worker at once, each keeping one shard of the flows (FlowConfig.shard): the fast
    path decodes every packet in every worker -- cheap, ~20 M packets/s -- and keeps
    only the flows whose address pair hashes to its shard, so the per-flow work (the
    detectors, the model) is split N ways. The key is taken after decapsulation and
    fragment reassembly, and from the unordered pair of addresses: both directions,
    every fragment and tunnel of a flow, and an FTP control connection with the data
    connections it announces, are in one shard. A smaller capture, or a gzip one, is
    one task, given to the worker with the fewest bytes so far.

Merge order (deterministic)
    Captures in the order given. Within a capture split over N workers, the workers'
    batches in turn: shard 0's first batch, shard 1's first, ..., then the second
    ones; a shard that has finished drops out. Each worker's batches keep the order
    in which its flows ended. So the records are the same set as `--jobs 1` (the test
    compares them sorted), in an order that depends only on the input, the options
    and N, never on timing.

    What can differ from `--jobs 1`: each worker has the whole --max-flows and
    --max-payload-memory of its own (memory is bounded per worker, N times in all),
    so a capture that hits those caps evicts different flows; and an FTP data flow
    that ends more than Analyzer.HOLD_FLOWS flows before its control flow counts
    that window in its shard's flows, so it may be linked where `--jobs 1` is not.

Summary
    Every worker reads every packet of a sharded capture, so the packet-level
    counters (packets, bytes, malformed, fragments, ...) are taken once, from shard 0;
    the flow-level ones (flows, end reasons, evictions, TCP retransmissions) are summed.

Stopping
    Workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent decides).
    At the first signal the parent stops taking records after the batch in hand,
    terminates the workers and reaps them, then writes the partial output as the
    serial run does; a second signal (HardStop) does the same without writing. Workers
    write no files, so nothing is left behind.

Workers are forked from the parent once its Analyzer is built (see `_context`), or
where fork cannot be used, started from a fork server and build their own from the
command's options (the same `options.analyzer_from_args` as the serial path). With
fork the parent is worker 0 itself (Pool: N-1 processes are forked; the parent makes
its own messages, with an Analyzer of its own, when their turn comes or while it
waits for another worker's), so that N processes share the N cores.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import multiprocessing
import os
import queue
import signal
import sys
from typing import Any, Dict, List, Optional, Tuple

# A capture this large is split into shards across the workers; smaller ones are a
# task of their own (re-reading them N times would cost more than it spreads).
SHARD_MIN_BYTES = 32 << 20

# Messages a worker may have sent that the parent has not taken yet: bounds the memory
# of records in flight (a message is one batch, at most ANALYZE_BATCH flows).
QUEUE_MESSAGES = 16
# The same bound for the parent's own messages (worker 0's, with fork) made ahead of
# their turn while it waits for another worker's.
LOCAL_AHEAD = QUEUE_MESSAGES

# Flow-level counters: each shard counts its own flows, so the merged value is the sum.
# Everything else in the engine's statistics is counted per packet, identically in
# every shard, and taken from shard 0.
SUMMED_STATS = frozenset((
    "flows", "flows_tcp", "flows_udp", "flows_other", "end_idle", "end_active", "end_closed",
    "end_eof", "evicted", "evicted_packets", "evicted_bytes", "max_live", "live_flows",
    "tcp_retrans", "tcp_ooo",
))


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), the default of --jobs."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def merge_stats(parts: List[dict]) -> dict:
    """The statistics of one capture read as shards: per-packet counters once (shard
    0's), flow counters summed; `shard_skipped` (other shards' packets) is dropped."""
    if not parts:
        return {}
    out = dict(parts[0])
    for key in SUMMED_STATS:
        if key in out:
            out[key] = sum(p.get(key, 0) for p in parts)
    out.pop("shard_skipped", None)
    return out


def _is_gzip(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


@dataclasses.dataclass
class Group:
    """One capture: its tasks, one per shard (a single one when not split)."""
    path: str
    problem: Optional[str]
    workers: List[int]                  # worker of shard k, k = 0..n-1


def plan(inputs: List[Tuple[str, Optional[str]]], jobs: int,
         shard_min: Optional[int] = None) -> List[Group]:
    """Cut the inputs into tasks over `jobs` workers: a large plain capture into `jobs`
    shards (shard k on worker k), any other capture whole to the worker with the fewest
    bytes assigned so far. Depends only on the inputs' sizes: the same plan every run."""
    if shard_min is None:
        shard_min = SHARD_MIN_BYTES
    load = [0] * jobs
    groups = []
    for path, problem in inputs:
        if problem:
            groups.append(Group(path, problem, []))
            continue
        try:
            size = os.stat(path).st_size if os.path.isfile(path) else 0
        except OSError:
            size = 0
        if jobs > 1 and size >= shard_min and not _is_gzip(path):
            groups.append(Group(path, None, list(range(jobs))))
            for w in range(jobs):
                load[w] += size
        else:
            w = min(range(jobs), key=lambda i: (load[i], i))
            load[w] += max(size, 1)
            groups.append(Group(path, None, [w]))
    return groups


def worth_it(inputs, jobs: int) -> bool:
    """Whether --jobs N changes anything: more than one job, no stdin (workers cannot
    share it), and more than one task to run."""
    if jobs <= 1 or any(p == "-" for p, _ in inputs):
        return False
    tasks = sum(len(g.workers) for g in plan(inputs, jobs))
    return tasks > 1


def _plain_options(args) -> Dict[str, Any]:
    """The command's options that a worker needs to build the same Analyzer: every
    plain value of the namespace (private ones, such as the Stop, stay here)."""
    keep = {}
    for k, v in vars(args).items():
        if k.startswith("_"):
            continue
        if v is None or isinstance(v, (str, int, float, bool, list, tuple)):
            keep[k] = v
    return keep


# ---------------------------------------------------------------- the worker

class Rendered:
    """A batch already written out by a worker (jsonl): the text (UTF-8), the verdicts of
    every flow in it before --only ({verdict: count}), the records written and the
    flows read. Encoding is a third of analyze's time; done in the workers, it is
    spread over them instead of holding up the parent.

    With a spool (`Spool`, forked workers), the text is not in the message: it is
    `spool` = (fd, offset, length) in the worker's spool file, which the parent copies
    to the output inside the kernel (`Spool.copy`), without the pickling and pipe
    copies of ~600 bytes per flow through the queue."""
    __slots__ = ("text", "verdicts", "written", "flows", "spool")

    def __init__(self, text: Optional[bytes], verdicts: Dict[str, int], written: int, flows: int,
                 spool: Optional[Tuple[int, int, int]] = None):
        self.text, self.verdicts, self.written, self.flows = text, verdicts, written, flows
        self.spool = spool

    def __len__(self) -> int:
        return self.flows

    def __reduce__(self):
        return (Rendered, (self.text, self.verdicts, self.written, self.flows, self.spool))


class Spool:
    """A forked worker's rendered text on its way to the parent: an anonymous temporary
    file (unlinked at once, so nothing is left behind whatever ends the run), opened
    by the parent before the fork. The worker appends each batch and sends only where
    it is; the parent copies that range to the output with sendfile and punches it out
    of the spool, so the spool holds only the batches in flight (QUEUE_MESSAGES)."""

    def __init__(self):
        import tempfile
        self.file = tempfile.TemporaryFile(prefix="portlens-jobs-")
        self.fd = self.file.fileno()
        self.end = 0                        # the worker's next offset

    def append(self, data: bytes) -> Tuple[int, int, int]:
        """(worker) Write `data` at the end; where it is."""
        off = self.end
        view = memoryview(data)
        done = 0
        while done < len(data):
            done += os.pwrite(self.fd, view[done:], off + done)
        self.end = off + len(data)
        return (self.fd, off, len(data))

    @staticmethod
    def release(fd: int, offset: int, length: int) -> None:
        """(parent) Give the range's disk and page cache back (Linux fallocate
        PUNCH_HOLE); where that cannot be done the spool keeps its size until the end."""
        global _fallocate
        if _fallocate is None:
            try:
                import ctypes
                # The C library is already loaded in this process: its symbols are found
                # without a name (ctypes.util.find_library would run `ldconfig -p` in a
                # subprocess, forking this whole process first: ~10 ms of the parent's).
                libc = ctypes.CDLL(None, use_errno=True)
                f = libc.fallocate
                f.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
                _fallocate = f
            except (OSError, AttributeError):
                _fallocate = False
        if _fallocate:
            _fallocate(fd, 0x01 | 0x02, offset, length)     # FALLOC_FL_KEEP_SIZE | PUNCH_HOLE

    def close(self) -> None:
        self.file.close()


_fallocate = None


def _renderer(args, labelled: bool, spool: Optional[Spool] = None):
    """recs -> Rendered, as cli.cmd_flows' emit would write them with JsonlWriter; with
    a `spool`, the text goes there and the Rendered says where."""
    from collections import Counter
    from .options import only_verdicts
    from .output.jsonl import JsonlWriter
    only = only_verdicts(args)
    writer = JsonlWriter(None)

    def render(recs):
        n = len(recs)
        verdicts = dict(Counter(rec["verdict"] for rec in recs)) if labelled else {}
        if labelled and only is not None:
            recs = [rec for rec in recs if rec["verdict"] in only]
        # Bytes, as orjson makes them (JsonlWriter._line): the same text as write_many,
        # without its decode here and an encode in the pickle.
        text = writer.lines(recs)
        if spooling[0] and text:
            try:
                return Rendered(None, verdicts, len(recs), n, spool.append(text))
            except OSError:
                # The spool's file system is full (or refuses the write): the text goes
                # through the queue from here on, as without a spool.
                spooling[0] = False
        return Rendered(text, verdicts, len(recs), n)
    spooling = [spool is not None]
    return render


def _worker_main(wid: int, tasks, options: Optional[Dict[str, Any]], config, labelled: bool, batch, out,
                 render: bool = False, spool: Optional[Spool] = None) -> None:
    """A worker process: for each (task id, path, shard) read the capture's shard and
    put ("recs", tid, records, stats, position) per batch (records as a Rendered with
    `render`), then ("end", tid, stats, error, probe_errors), or ("error", tid,
    message) when it cannot be opened; ("crash", None, message) if it fails."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent decides what a Ctrl-C does
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # (a forked worker had the parent's Stop)
    from ._heap import keep_heap
    keep_heap()                                     # (classifier/_heap.py; a fork has it already)
    import gc
    gc.freeze()     # what the fork inherited (detectors, model, registry) is never garbage:
                    # the collector's full passes skip it
    from .options import analyzer_from_args, registry_from_args
    if options is None:
        # Forked: the parent's options and its Analyzer, fresh (nothing pushed yet), are
        # here already, detectors and model loaded; this process has its own copy.
        args, analyzer = _FORKED["args"], _FORKED["analyzer"]
    else:
        args = argparse.Namespace(**options)
        analyzer = analyzer_from_args(args, registry_from_args(args)) if labelled else None
    size, payload = batch
    pack = _renderer(args, labelled, spool) if render else (lambda recs: recs)
    try:
        _run_tasks(tasks, config, labelled, analyzer, size, payload, pack, out)
    except BaseException as e:                      # a bug, or out of memory: say it, then go
        out.put(("crash", None, f"{type(e).__name__}: {e}"))
        if os.environ.get("PORTLENS_DEBUG"):
            raise                                   # the traceback, on this worker's stderr
        sys.exit(1)


def _run_tasks(tasks, config, labelled, analyzer, size, payload, pack, out) -> None:
    for msg in _task_messages(tasks, config, labelled, analyzer, size, payload, pack):
        out.put(msg)


def _task_messages(tasks, config, labelled, analyzer, size, payload, pack):
    """The messages of a worker's tasks, in order (see _worker_main), made as they are
    asked for: a forked worker puts each in its queue, the parent takes its own
    tasks' (Pool, worker 0) one at a time."""
    from .errors import CaptureError
    from .flows import FlowReader
    from .detectors.engine import gc_paused
    from .schema import batch_records
    for tid, path, shard in tasks:
        try:
            reader = FlowReader(path, dataclasses.replace(config, shard=shard), size, batch_payload=payload)
        except CaptureError as e:
            yield ("error", tid, str(e))
            continue
        batches = reader.batches()
        try:
            for b in batches:
                with gc_paused():       # the batch's records die with it: no cycles to find
                    recs = analyzer.push(b) if labelled else batch_records(b)
                    msg = ("recs", tid, pack(recs), reader._engine.stats(), reader.position)
                    del recs
                yield msg
                del msg
        finally:
            batches.close()
        if labelled:
            recs = analyzer.flush()
            if recs:
                yield ("recs", tid, pack(recs), reader.stats, reader.position)
        errors = analyzer.take_probe_errors() if labelled else {}
        yield ("end", tid, reader.stats, reader.error, errors)


# What a forked worker takes from the parent instead of building it again.
_FORKED: Dict[str, Any] = {}


def _context():
    """How workers start. Fork where there is one and the parent has no other thread:
    the workers then have the parent's pipeline as it stands, imported, detectors
    compiled, model loaded, in a few milliseconds; a fork server with the modules
    preloaded took ~0.5 s more before the first batch (imports, then each worker
    building its Analyzer), a fifth of analyze's time on bench.pcap. Otherwise a fork
    server (no inherited threads), or spawn where neither exists."""
    import threading
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["classifier.cli", "classifier.parallel"])
        return ctx
    return multiprocessing.get_context("spawn")


class WorkerDied(RuntimeError):
    pass


class _Progress:
    """What Progress reads from a reader, for a capture read by several workers: the
    least advanced shard's position, shard 0's packet count."""

    def __init__(self):
        self.position = 0
        self.compressed = False
        self._pos: Dict[int, int] = {}
        self._packets = 0

    def seen(self, k: int, stats: dict, position: int) -> None:
        self._pos[k] = position
        self.position = min(self._pos.values())
        if k == 0:
            self._packets = stats.get("packets", 0)

    @property
    def _engine(self):
        return self

    def stats(self):
        return {"packets": self._packets, "flows": 0}


class _Result:
    """What on_capture gets in place of a FlowReader: the merged statistics."""

    def __init__(self, path: str, stats: dict, error: Optional[str]):
        self.path = path
        self.stats = stats
        self.error = error


class Pool:
    """The workers of one run and their result queues; a context manager that, however
    it is left (the end, a stop, a second signal, an error), terminates and reaps
    every worker."""

    def __init__(self, groups: List[Group], jobs: int, args, analyzer, config, labelled: bool, batch,
                 render: bool = False):
        self.ctx = _context()
        if self.ctx.get_start_method() == "fork":
            options = None
            if labelled:
                # Built once here, inherited: not once per worker.
                from .detectors.engine import default_engine
                default_engine()
            _FORKED.update(args=args, analyzer=analyzer)
            # A forked child flushes its copies of these at exit: empty them first, or
            # text buffered here would be written twice.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
        else:
            options = _plain_options(args)
        tasks: List[list] = [[] for _ in range(jobs)]
        for gi, g in enumerate(groups):
            n = len(g.workers)
            for k, w in enumerate(g.workers):
                tasks[w].append(((gi, k), g.path, (k, n)))
        # With fork, worker 0 is this process: its tasks' messages are made here, when
        # their turn comes or while a forked worker's next one is awaited (`get`). One
        # process fewer on the cores (the parent's own share of the run, taking the
        # others' batches, no longer competes with two workers), worker 0's text goes to
        # the output without a spool, and one fork less. LOCAL_AHEAD bounds what it makes
        # ahead of its turn, as QUEUE_MESSAGES bounds a forked worker.
        self.local = None
        self.local_analyzer = None
        self.local_ahead: "collections.deque" = collections.deque()
        forked = self.ctx.get_start_method() == "fork"
        if forked and tasks[0] and os.environ.get("PORTLENS_NO_LOCAL_WORKER") is None:
            pack = _renderer(args, labelled) if render else (lambda recs: recs)
            size, payload = batch
            # Its own analyzer: the caller's flushes at each capture's end (and holds
            # back records) on its own schedule, which is not this one's.
            self.local_analyzer = analyzer.fresh() if labelled else None
            self.local = _task_messages(tasks[0], config, labelled, self.local_analyzer, size, payload, pack)
            tasks[0] = []
        self.queues = [self.ctx.Queue(QUEUE_MESSAGES) if tasks[w] else None for w in range(jobs)]
        # Forked workers inherit an open spool each (Spool); others send the text itself.
        self.spools: List[Optional[Spool]] = [None] * jobs
        if render and forked and os.environ.get("PORTLENS_NO_SPOOL") is None:
            self.spools = [Spool() if tasks[w] else None for w in range(jobs)]
        self.procs = []
        for w in range(jobs):
            if not tasks[w]:
                self.procs.append(None)
                continue
            p = self.ctx.Process(target=_worker_main, name=f"portlens-worker-{w}",
                                 args=(w, tasks[w], options, config, labelled, batch, self.queues[w], render,
                                       self.spools[w]),
                                 daemon=True)
            p.start()
            self.procs.append(p)

    def _local_next(self, ahead: bool = False):
        """The parent's own next message (worker 0's), made now; a failure is worker 0's
        crash, as a forked worker would report it. Past its last message: None when
        making ahead, else a crash (the merge never asks for more than there is)."""
        try:
            return next(self.local)
        except StopIteration:
            self.local = None
            return None if ahead else ("crash", None, "no message left")
        except Exception as e:                              # a bug, or out of memory
            self.local = None
            if os.environ.get("PORTLENS_DEBUG"):
                raise
            return ("crash", None, f"{type(e).__name__}: {e}")

    def get(self, w: int, stop):
        """The next message of worker w; None when a stop was asked for meanwhile.
        Raises WorkerDied when the worker is gone without a word."""
        if w == 0 and self.procs[0] is None and (self.local is not None or self.local_ahead):
            if stop():
                return None
            if self.local_ahead:
                return self.local_ahead.popleft()
            return self._local_next()
        q, p = self.queues[w], self.procs[w]
        while True:
            if stop():
                return None
            if self.local is not None and len(self.local_ahead) < LOCAL_AHEAD:
                # Worker w's message is not there yet: make one of our own meanwhile.
                try:
                    return q.get_nowait()
                except queue.Empty:
                    pass
                msg = self._local_next(ahead=True)
                if msg is not None:
                    self.local_ahead.append(msg)
                continue
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                if p.exitcode is not None:
                    try:
                        return q.get(timeout=0.5)      # its last words may still be in the pipe
                    except queue.Empty:
                        raise WorkerDied(f"worker process {w} ended unexpectedly "
                                         f"(exit code {p.exitcode})") from None

    def close(self) -> None:
        if self.local is not None:
            self.local.close()          # its reader's batches, as a worker's end would
            self.local = None
        self.local_ahead.clear()
        for p in self.procs:
            if p is not None and p.exitcode is None:
                p.terminate()
        for p in self.procs:
            if p is not None:
                p.join()
        for q in self.queues:
            if q is None:
                continue
            q.close()
            q.cancel_join_thread()
        for sp in self.spools:
            if sp is not None:
                sp.close()
        _FORKED.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_captures(groups: List[Group], jobs: int, args, config, progress, on_records, on_capture,
                  labelled: bool, batch, stop, run, report_error, analyzer=None, on_rendered=None):
    """The parallel counterpart of cli._read_captures: `on_records(recs)` takes each
    batch's records in the merge order (module docstring), `on_capture(path, result,
    error)` follows each capture with merged statistics. `run` (cli._Run) gets the
    status, the captures opened and the stop; `analyzer`, the parent's, collects the
    workers' detector errors so that the summary reports them as the serial run does.
    With `on_rendered`, the workers write the jsonl text themselves and it gets each
    batch as a Rendered instead."""
    from .errors import CaptureError
    with Pool(groups, jobs, args, analyzer, config, labelled, batch, render=on_rendered is not None) as pool:
        for gi, g in enumerate(groups):
            if stop():
                break
            if g.problem:
                progress.end()
                report_error(str(CaptureError(g.path, g.problem)))
                if on_capture:
                    on_capture(g.path, None, str(CaptureError(g.path, g.problem)))
                run.status = 3
                continue
            n = len(g.workers)
            live = list(range(n))
            stats: Dict[int, dict] = {}
            errors: Dict[int, Optional[str]] = {}
            open_error = None
            flows = 0
            seen = _Progress()
            progress.begin(g.path, seen)
            stopped = False
            while live and not stopped:
                for k in list(live):
                    msg = pool.get(g.workers[k], stop)
                    if msg is None:
                        stopped = True
                        break
                    kind, tid = msg[0], msg[1]
                    assert kind == "crash" or tid == (gi, k), (tid, gi, k)
                    if kind == "recs":
                        recs = msg[2]
                        stats[k] = msg[3]
                        seen.seen(k, msg[3], msg[4])
                        progress.before_output()
                        if on_rendered is not None:
                            on_rendered(recs)
                        else:
                            on_records(recs)
                        flows += len(recs)
                        progress.after_output(seen, flows)
                        progress.update(seen, flows)
                        if stop():
                            stopped = True
                            break
                    elif kind == "crash":
                        raise WorkerDied(f"worker process {g.workers[k]} failed: {msg[2]}")
                    elif kind == "end":
                        stats[k], errors[k] = msg[2], msg[3]
                        if analyzer is not None:
                            for name, (cnt, text) in msg[4].items():
                                had = analyzer.probe_errors.setdefault(name, [0, text])
                                had[0] += cnt
                        live.remove(k)
                    else:                                   # "error": could not be opened
                        open_error = msg[2]
                        live.remove(k)
            progress.end()
            if open_error is not None and not stats:
                report_error(open_error)
                if on_capture:
                    on_capture(g.path, None, open_error)
                run.status = 3
                continue
            run.opened += 1
            error = errors.get(0) or next((e for e in errors.values() if e), None) or open_error
            result = _Result(g.path, merge_stats([stats[k] for k in sorted(stats)]), error)
            if error:
                report_error(f"{g.path}: {error}; the flows read before it are reported")
                run.status = 3
            if on_capture:
                on_capture(g.path, result, error)
            if stopped:
                break
    run.signum = stop.signum
    return run
