"""A progress bar on stderr for long offline runs: shown only when stderr is a
terminal, never with --quiet; one line per capture, redrawn in place at most five
times a second, erased when the capture is done (its summary line takes its place).

    big.pcap  48%|█████████▋          | 1.3 GiB/2.7 GiB  9.8M packets/s  12345 flows  0:42 left

Drawn by tqdm (README, "Dependencies and why"). Position in the file: the fast path
reports the bytes it has consumed (`FlowReader.position`), and the reader calls back
every 262,144 packets, so the bar moves through long stretches where no flow ends.
Compressed files and stdin have no known size: the bar shows the bytes read
(decompressed), packets/s, flows and the elapsed time.

The bar is not erased before each batch of output. Only when the output goes to the
same terminal (a table on stdout) is it cleared just before a batch's rows are printed
and redrawn at once after them, so rows never land in the middle of the bar.
"""
from __future__ import annotations

import os
import stat
import sys
import threading
import time
from typing import Optional


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KiB' (the progress bar and the html report)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return str(n)


def _rate(n: float) -> str:
    """12345678 -> '12.3M' (packets per second)."""
    for unit in ("", "k", "M", "G"):
        if n < 1000 or unit == "G":
            return f"{n:.0f}{unit}" if not unit else f"{n:.1f}{unit}"
        n /= 1000.0
    return str(n)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def same_terminal(a, b) -> bool:
    """Both streams are terminals and the same one (stdout and stderr on one screen)."""
    if not (_isatty(a) and _isatty(b)):
        return False
    try:
        sa, sb = os.fstat(a.fileno()), os.fstat(b.fileno())
    except (AttributeError, ValueError, OSError):
        return True                     # cannot tell: assume the worst, keep them apart
    return (sa.st_rdev, sa.st_ino) == (sb.st_rdev, sb.st_ino)


BAR_KNOWN = "{desc} {percentage:3.0f}%|{bar}| {done}/{size}  {pps} packets/s  {flows} flows  {remaining} left"
BAR_UNKNOWN = "{desc}  {done} read  {pps} packets/s  {flows} flows  {elapsed}"


_BAR = None


def _screen(stream):
    """(columns, lines) of the terminal `stream` is; 80x24 when it does not say (a
    pseudo-terminal nobody sized reports 0x0)."""
    try:
        size = os.get_terminal_size(stream.fileno())
        return size.columns or 80, size.lines or 24
    except (AttributeError, ValueError, OSError):
        return 80, 24


def _bar_class():
    global _BAR
    if _BAR is None:
        from tqdm import tqdm

        class Bar(tqdm):
            """tqdm with our own fields (bytes as KiB/MiB, packets/s, flows) in bar_format."""
            monitor_interval = 0        # no monitor thread: the bar is redrawn from the run itself

            def __init__(self, *args, extra=None, **kwargs):
                self.extra = extra or {}
                kwargs["ncols"], kwargs["nrows"] = _screen(kwargs.get("file"))
                super().__init__(*args, **kwargs)
                self.dynamic_ncols = _screen     # follow the terminal's width as it changes

            @property
            def format_dict(self):
                d = super().format_dict
                d.update(self.extra)
                return d
        # A thread lock, not tqdm's default multiprocessing one: one bar in one process.
        Bar.set_lock(threading.RLock())
        _BAR = Bar
    return _BAR


class Progress:
    """`enabled`: None decides (stderr is a terminal), False never draws.
    `output`: the stream the run's rows go to; when it is the same terminal as the bar,
    the bar steps aside for each batch (`before_output` / `after_output`)."""

    def __init__(self, stream=None, enabled: Optional[bool] = None, interval: float = 0.2, output=None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _isatty(self.stream)
        self.enabled = bool(enabled)
        self.interval = interval
        self.shares_terminal = self.enabled and output is not None and same_terminal(output, self.stream)
        self._output = output
        self._bar = None
        self._last = 0.0
        self._start = 0.0
        self._total: Optional[int] = None
        self._flows = 0

    def begin(self, path: str, reader=None) -> None:
        """A new capture starts; its size is known when it is a plain regular file."""
        if not self.enabled:
            return
        self.end()
        self._total = None
        compressed = bool(getattr(reader, "compressed", False))
        if path != "-" and not compressed:
            try:
                st = os.stat(path)
                if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                    self._total = st.st_size
            except OSError:
                pass
        self._start = time.monotonic()
        self._last = 0.0
        self._flows = 0
        Bar = _bar_class()
        name = os.path.basename(path) or path
        self._bar = Bar(total=self._total, desc=name, file=self.stream, leave=False,
                        mininterval=0, miniters=1, unit="B", unit_scale=True, unit_divisor=1024,
                        bar_format=BAR_KNOWN if self._total else BAR_UNKNOWN,
                        extra=self._fields(0, 0, 0))

    def _fields(self, done: int, packets: int, flows: int) -> dict:
        elapsed = max(time.monotonic() - self._start, 1e-6)
        return {"done": human_bytes(done), "size": human_bytes(self._total or 0),
                "pps": _rate(packets / elapsed) if packets else "0", "flows": flows}

    @staticmethod
    def _counts(reader):
        try:
            stats = reader._engine.stats()
            return stats.get("packets", 0), stats.get("flows", 0)
        except (AttributeError, TypeError):
            return 0, None

    def update(self, reader, flows: Optional[int] = None, force: bool = False) -> None:
        """Redraw, at most every `interval` seconds (or now with `force`); `flows`: the
        flows of this capture delivered so far (the reader's callback does not know)."""
        bar = self._bar
        if bar is None:
            return
        if flows is not None:
            self._flows = flows
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        packets, engine_flows = self._counts(reader)
        flows = max(engine_flows or 0, self._flows)
        pos = getattr(reader, "position", None)
        pos = pos if isinstance(pos, int) else bar.n
        if self._total:
            pos = min(pos, self._total)
        bar.extra = self._fields(pos, packets, flows)
        if pos > bar.n:
            bar.update(pos - bar.n)                 # tqdm's rate and time left follow n
        else:
            bar.refresh()

    def before_output(self) -> None:
        """Rows are about to be printed on the bar's terminal: step aside."""
        if self._bar is not None and self.shares_terminal:
            self._bar.clear()

    def after_output(self, reader=None, flows: Optional[int] = None) -> None:
        """The rows are out: draw the bar again at once (not at the next update), with
        the flows delivered so far."""
        if self._bar is not None and self.shares_terminal:
            try:
                self._output.flush()
            except (OSError, ValueError):
                pass
            if reader is not None:
                self.update(reader, flows, force=True)
            else:
                self._bar.refresh()

    def end(self) -> None:
        """The capture is done (or the run stops): erase the bar for the summary line."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.close()

    clear = end
