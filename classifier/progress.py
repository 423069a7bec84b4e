"""A progress line on stderr for long offline runs: shown only when stderr is a
terminal, never with --quiet, redrawn at most five times a second.

    mismatch.pcap [##########..........]  48.2%  1.3/2.7 GiB  12345 flows  0:42 left

Position in the file: the fast path reports the bytes it has consumed
(`FlowReader.position`), and the reader calls back every 262,144 packets, so the line
moves through long stretches where no flow ends.  Compressed files and stdin have no
known size: the line shows packets, flows and elapsed time.
"""
from __future__ import annotations

import os
import shutil
import stat
import sys
import time
from typing import Optional



def human_bytes(n: float) -> str:
    """1536 -> '1.5 KiB' (the progress line and the html report)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return str(n)


def _clock(secs: float) -> str:
    secs = int(secs)
    h, rem = divmod(secs, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


class Progress:
    def __init__(self, stream=None, enabled: Optional[bool] = None, interval: float = 0.2):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = bool(enabled)
        self.interval = interval
        self._drawn = False
        self._last = 0.0
        self._path = ""
        self._total: Optional[int] = None
        self._start = 0.0
        self._done = 0

    def begin(self, path: str, reader=None) -> None:
        """A new capture starts; its size is known when it is a plain regular file."""
        if not self.enabled:
            return
        self._path = os.path.basename(path) or path
        self._total = None
        self._done = 0
        self._start = time.monotonic()
        compressed = bool(getattr(reader, "compressed", False))
        if path != "-" and not compressed:
            try:
                st = os.stat(path)
                if stat.S_ISREG(st.st_mode):
                    self._total = st.st_size
            except OSError:
                pass

    def _position(self, reader) -> Optional[int]:
        pos = getattr(reader, "position", None)
        return pos if isinstance(pos, int) else None

    def _counts(self, reader):
        try:
            stats = reader._engine.stats()
            return stats.get("packets", 0), stats.get("flows", 0)
        except AttributeError:
            return None, None

    def update(self, reader, flows: int = 0, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        packets, engine_flows = self._counts(reader)
        flows = engine_flows if engine_flows is not None else flows
        elapsed = now - self._start
        if self._total:
            pos = self._position(reader)
            if pos is not None:
                self._done = max(self._done, min(pos, self._total))
            frac = self._done / self._total if self._total else 0.0
            width = 20
            fill = int(frac * width)
            eta = f"  {_clock(elapsed * (1 - frac) / frac)} left" if frac > 0.01 and elapsed > 1 else ""
            line = (f"{self._path} [{'#' * fill}{'.' * (width - fill)}] {100 * frac:5.1f}%  "
                    f"{human_bytes(self._done)}/{human_bytes(self._total)}  {flows} flows{eta}")
        else:
            pk = f"{packets} packets  " if packets is not None else ""
            line = f"{self._path}  {pk}{flows} flows  {_clock(elapsed)}"
        cols = shutil.get_terminal_size((80, 24)).columns
        self.stream.write("\r" + line[: max(10, cols - 1)] + "\033[K")
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erase the line, before anything else is written to the terminal."""
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    end = clear
