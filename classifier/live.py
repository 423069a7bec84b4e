"""Live capture: packets from an interface through pcapy-ng into the same C engine.

pcapy-ng's next_batch() hands over many packets per call as one bytes object plus a
packed index, and FlowTable.feed_batch() folds them in C: no Python object per packet.
Idle flows are expired on the wall clock while the wire is quiet, so an operator sees
a flow soon after it ends, not only at exit.

Two threads. The capture thread only reads packets into the engine (next_batch,
feed_batch, which runs without the GIL) and takes the finished flows out in batches;
the batches reach the consumer (the thread iterating `batches()`: detectors, model,
output) through a bounded queue. So the per-flow work never holds up the reading of
packets: while the consumer is busy, packets keep going into the flow table and only
finished flows wait in the queue. Should the queue fill up (the consumer cannot keep
up on average), the capture thread waits, the kernel buffer fills and the kernel
drops packets, and those drops are counted, never silent.

Loss is reported as libpcap counts it (pcap_stats): `received` (packets that passed
the filter, dropped ones included), `kernel_drops` (no room in the capture buffer,
`--buffer-size`) and `interface_drops` (dropped by the interface or its driver, where
the platform reports it), beside the engine's own counters in `LiveCapture.stats`.

`stop()` may be called from a signal handler or another thread: the capture ends,
every open flow is ended and delivered, and the final counters are taken.
"""
from __future__ import annotations

import queue
import select
import sys
import threading
import time
from typing import Callable, Iterator, Optional

import numpy as np

from .errors import PortlensError
from .flows import ANALYZE_BATCH, RECORD_DTYPE, FlowBatch, FlowConfig

# libpcap's default capture buffer on Linux is 2 MiB; at 200k packets/s of the bench
# traffic that overflows within tens of milliseconds of any pause. 64 MiB lost nothing
# at 200k packets/s in issue 20's measurements (about 0.3 s of traffic at that rate).
DEFAULT_BUFFER_SIZE = 64 << 20
MIN_BUFFER_SIZE = 64 << 10
MAX_BUFFER_SIZE = (1 << 31) - 1          # libpcap takes an int

READ_BATCH = 4096            # packets per next_batch() call at most
TAKE_FLOWS = ANALYZE_BATCH[0]  # hand finished flows over once this many are waiting...
TAKE_SECONDS = 0.1           # ... or this long after the last handover
QUEUE_BATCHES = 64           # batches waiting for the consumer at most
STATS_SECONDS = 0.25         # the capture thread refreshes `stats` this often
TIMEOUT_MS = 100             # libpcap read timeout: how late a quiet wire's packets arrive
# While capturing, the interpreter hands the GIL to a waiting thread after 0.5 ms
# instead of 5: the capture thread needs it briefly between packet batches, and with
# Python's default it could wait 5 ms behind the labelling thread on each of them.
# Process-wide (sys.setswitchinterval); restored when the capture ends.
SWITCH_INTERVAL = 0.0005


class LiveCaptureError(PortlensError):
    """The interface cannot be captured on (missing, down, no capture rights), or the
    capture failed while running."""


class CaptureFilterError(LiveCaptureError):
    """The capture filter (BPF) does not compile: a usage error."""


# pcap_activate()'s errors (pcapy-ng returns the status instead of raising).
_ACTIVATE_ERRORS = {
    -3: "not activated", -4: "already activated", -5: "no such device",
    -6: "monitor mode not supported", -7: "not in monitor mode",
    -8: "permission denied (capturing needs root or CAP_NET_RAW)", -9: "the interface is not up",
    -10: "cannot set the time stamp type", -11: "permission denied for promiscuous mode",
    -12: "time stamp precision not supported",
}


def _activate_error(interface: str, status: int) -> str:
    text = _ACTIVATE_ERRORS.get(status)
    if text is None:
        # PCAP_ERROR (-1) comes with a message that pcapy-ng does not hand over from
        # activate(); open_live() raises with it.
        try:
            import pcapy
            pcapy.open_live(interface, 128, False, 10).close()
            text = f"libpcap error {status}"
        except Exception as e:
            text = _pcap_error_text(e)
            if text.startswith(f"{interface}: "):
                text = text[len(interface) + 2:]
    return text


class _Failed:
    """An exception of the capture thread, carried to the consumer."""

    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


def _pcap_error_text(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


class LiveCapture:
    """Capture on `interface` and deliver each flow as it ends.

        cap = LiveCapture("eth0", "tcp port 443", buffer_size=64 << 20)
        for batch in cap.batches(duration=60):
            for flow in batch: ...
        cap.stats   # engine counters + received, kernel_drops, interface_drops

    `stats` is refreshed four times a second while the capture runs and is final once
    `batches()` is exhausted. `stop()` ends the capture from anywhere (a signal
    handler, another thread); open flows are still delivered."""

    def __init__(self, interface: str, bpf: Optional[str] = None, config: Optional[FlowConfig] = None,
                 snaplen: int = 65535, promisc: bool = False, buffer_size: int = DEFAULT_BUFFER_SIZE):
        try:
            import pcapy
        except ImportError as e:                       # pragma: no cover - a dependency
            raise LiveCaptureError(f"live capture needs pcapy-ng: {e}") from None
        if not MIN_BUFFER_SIZE <= int(buffer_size) <= MAX_BUFFER_SIZE:
            raise LiveCaptureError(f"capture buffer size must be between {MIN_BUFFER_SIZE} and "
                                   f"{MAX_BUFFER_SIZE} bytes, not {buffer_size}")
        self.interface = interface
        self.config = config or FlowConfig()
        self.buffer_size = int(buffer_size)
        try:
            cap = pcapy.create(interface)
            cap.set_snaplen(snaplen)
            cap.set_promisc(bool(promisc))
            cap.set_timeout(TIMEOUT_MS)
            cap.set_buffer_size(self.buffer_size)
            status = cap.activate()
        except Exception as e:                         # pcapy raises its own PcapError
            raise LiveCaptureError(f"{interface}: cannot capture: {_pcap_error_text(e)}") from None
        if isinstance(status, int) and status < 0:
            raise LiveCaptureError(f"{interface}: cannot capture: {_activate_error(interface, status)}")
        self._cap = cap
        if bpf:
            try:
                cap.setfilter(bpf)
            except Exception as e:
                cap.close()
                raise CaptureFilterError(f"--filter {bpf!r}: not a valid capture filter: {_pcap_error_text(e)}") from None
        try:
            cap.setnonblock(1)
            self.linktype = cap.datalink()
            self._fd = cap.getfd()
        except Exception as e:
            cap.close()
            raise LiveCaptureError(f"{interface}: cannot capture: {_pcap_error_text(e)}") from None
        self._engine = self.config.engine()
        self._stop = threading.Event()
        self.stop_reason = None          # what stop() was given (e.g. a signal number)
        self.started = None              # time.time() when the capture thread started
        self._ended = None
        self._stats: dict = self._snapshot()

    # -- counters -------------------------------------------------------------------
    def _pcap_counts(self) -> dict:
        try:
            recv, drop, ifdrop = self._cap.stats()
        except Exception:                              # a closed or stats-less handle
            return {}
        return {"received": int(recv), "kernel_drops": int(drop), "interface_drops": int(ifdrop)}

    def _snapshot(self) -> dict:
        """Engine counters and libpcap's, read by the capture thread (the only one that
        touches the handle and the engine while it runs)."""
        d = self._engine.stats()
        d.update({"received": 0, "kernel_drops": 0, "interface_drops": 0})
        d.update(self._pcap_counts())
        d["buffer_size"] = self.buffer_size
        return d

    @property
    def stats(self) -> dict:
        """The latest counters (refreshed four times a second while capturing, final
        after the end): the engine's (packets, bytes, flows, ...), libpcap's
        `received`, `kernel_drops`, `interface_drops`; `live_flows` still open,
        `buffer_size`, and `uptime` in seconds."""
        d = dict(self._stats)
        d["uptime"] = ((self._ended or time.time()) - self.started) if self.started else 0.0
        return d

    # -- control --------------------------------------------------------------------
    def stop(self, reason=None) -> None:
        """End the capture (safe in a signal handler and from any thread)."""
        if not self._stop.is_set():
            self.stop_reason = reason
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        """Release the interface without capturing (`batches()` does it itself)."""
        self._stop.set()
        if self.started is None:
            try:
                self._cap.close()
            except Exception:
                pass

    def _take(self) -> Optional[FlowBatch]:
        recs, arena, n = self._engine.take()
        if not n:
            return None
        return FlowBatch(f"live:{self.interface}", np.frombuffer(recs, dtype=RECORD_DTYPE), memoryview(arena))

    def _put(self, q: "queue.Queue", item, abandon: threading.Event) -> bool:
        """Hand `item` to the consumer, waiting while the queue is full (the consumer is
        behind: the kernel buffer takes the packets meanwhile, and counts what it
        drops). False when the consumer has gone away."""
        while not abandon.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, q: "queue.Queue", abandon: threading.Event, duration, count) -> None:
        """The capture thread."""
        cap, engine, fd = self._cap, self._engine, self._fd
        stop = self._stop
        try:
            t_end = time.monotonic() + duration if duration else None
            seen = 0
            last_take = last_stats = time.monotonic()
            while not stop.is_set():
                now = time.monotonic()
                if t_end is not None and now >= t_end:
                    break
                if count is not None and seen >= count:
                    break
                want = min(READ_BATCH, count - seen) if count is not None else READ_BATCH
                data, meta = cap.next_batch(want)
                if meta:
                    seen += engine.feed_batch(data, meta, self.linktype)
                else:
                    engine.tick(time.time_ns())
                    wait = 0.2 if t_end is None else max(0.0, min(0.2, t_end - now))
                    select.select([fd], [], [], wait)
                now = time.monotonic()
                if engine.pending >= TAKE_FLOWS or (engine.pending and now - last_take >= TAKE_SECONDS):
                    batch = self._take()
                    last_take = now
                    if batch is not None and not self._put(q, batch, abandon):
                        return
                if now - last_stats >= STATS_SECONDS:
                    self._stats = self._snapshot()
                    last_stats = now
            # The end, however it came: every open flow ends and is delivered.
            self._stats = self._snapshot()         # libpcap's final counts, before close
            engine.flush()
            batch = self._take()
            if batch is not None and not self._put(q, batch, abandon):
                return
            final = self._snapshot()
            pc = self._stats
            final.update({k: pc[k] for k in ("received", "kernel_drops", "interface_drops")})
            self._stats = final
            self._ended = time.time()
        except BaseException as e:                  # MemoryError, a pcap read error, ...
            self._put(q, _Failed(e), abandon)
        finally:
            try:
                cap.close()
            except Exception:
                pass
            self._put(q, _DONE, abandon)

    def batches(self, duration: Optional[float] = None, count: Optional[int] = None,
                stop: Callable[[], bool] = lambda: False,
                on_progress: Optional[Callable[[], None]] = None) -> Iterator[FlowBatch]:
        """Capture until `duration` seconds, `count` packets, `stop()` returns true,
        `self.stop()` or Ctrl-C; then end every live flow and deliver it. `on_progress`
        is called in the consuming thread after each batch and at least every half
        second (for periodic reports)."""
        if self.started is not None:
            raise LiveCaptureError(f"{self.interface}: a LiveCapture captures once; make a new one")
        q: "queue.Queue" = queue.Queue(QUEUE_BATCHES)
        abandon = threading.Event()
        self.started = time.time()
        old_switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        worker = threading.Thread(target=self._run, args=(q, abandon, duration, count),
                                  name=f"portlens-capture-{self.interface}", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    if stop():
                        self.stop("stop")
                    item = q.get(timeout=0.5)
                except queue.Empty:
                    if on_progress is not None:
                        on_progress()
                    continue
                except KeyboardInterrupt:
                    self.stop("KeyboardInterrupt")  # Ctrl-C without a handler: still flush
                    continue
                if item is _DONE:
                    break
                if isinstance(item, _Failed):
                    e = item.error
                    if isinstance(e, (PortlensError, MemoryError)):
                        raise e
                    raise LiveCaptureError(f"{self.interface}: capture failed: {_pcap_error_text(e)}") from None
                yield item
                if on_progress is not None:
                    on_progress()
        finally:
            # Normal end: the worker has finished. Early exit (the consumer raised or
            # closed the generator): stop it and do not wait for anyone to drain.
            self._stop.set()
            abandon.set()
            worker.join(timeout=5)
            sys.setswitchinterval(old_switch)

    def __iter__(self):
        for batch in self.batches():
            yield from batch
