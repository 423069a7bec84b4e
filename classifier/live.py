"""Live capture: packets from an interface through pcapy-ng into the same C engine.

pcapy-ng's next_batch() hands over many packets per call as one bytes object plus a
packed index, and Engine.feed_batch() folds them in C: no Python object per packet.
Idle flows are expired on the wall clock while the wire is quiet, so an operator sees
a flow soon after it ends, not only at exit.
"""
from __future__ import annotations

import select
import time
from typing import Callable, Iterator, Optional

import numpy as np

from .errors import CaptureError, PortlensError, UsageError
from .flows import RECORD_DTYPE, FlowBatch, FlowConfig


class LiveCapture:
    def __init__(self, interface: str, bpf: Optional[str] = None, config: Optional[FlowConfig] = None,
                 snaplen: int = 65535, promisc: bool = False):
        try:
            import pcapy
        except ImportError as e:                       # pragma: no cover - a dependency
            raise PortlensError(f"live capture needs pcapy-ng: {e}") from None
        self.interface = interface
        self.config = config or FlowConfig()
        try:
            self._cap = pcapy.open_live(interface, snaplen, bool(promisc), 100)
            self._cap.setnonblock(1)
        except Exception as e:                         # pcapy raises its own PcapError
            raise CaptureError(interface, f"cannot capture: {e}") from None
        if bpf:
            try:
                self._cap.setfilter(bpf)
            except Exception as e:                     # a filter libpcap cannot compile
                self._cap.close()
                raise UsageError(f"--filter {bpf!r}: not a valid capture filter: {e}") from None
        self.linktype = self._cap.datalink()
        self._fd = self._cap.getfd()
        self._engine = self.config.engine()
        self.stats: dict = {}

    def _take(self) -> Optional[FlowBatch]:
        recs, arena, n = self._engine.take()
        if not n:
            return None
        return FlowBatch(f"live:{self.interface}", np.frombuffer(recs, dtype=RECORD_DTYPE), memoryview(arena))

    def batches(self, duration: Optional[float] = None, count: Optional[int] = None,
                stop: Callable[[], bool] = lambda: False) -> Iterator[FlowBatch]:
        """Capture until `duration` seconds, `count` packets, `stop()` or Ctrl-C; then
        end every live flow and deliver it."""
        t_end = time.monotonic() + duration if duration else None
        seen = 0
        try:
            while not stop():
                if t_end is not None and time.monotonic() >= t_end:
                    break
                if count is not None and seen >= count:
                    break
                ready, _, _ = select.select([self._fd], [], [], 0.2)
                data, meta = self._cap.next_batch(min(512, count - seen) if count else 512)
                if meta:
                    seen += self._engine.feed_batch(data, meta, self.linktype)
                else:
                    self._engine.tick(time.time_ns())
                batch = self._take()
                if batch is not None:
                    yield batch
        except KeyboardInterrupt:
            pass
        self._engine.flush()
        batch = self._take()
        if batch is not None:
            yield batch
        self.stats = self._engine.stats()
        self._cap.close()

    def __iter__(self):
        for batch in self.batches():
            yield from batch
