"""Output formats. Each writer takes records (dicts with schema.FIELDS) one at a time
and a text stream; `open_output` makes sure nothing a user gave is overwritten or lost.

Interface: `WRITERS[name](stream, color=False, meta=None)`, then `.write(rec)` per flow
and `.close()` once.  `meta` carries run facts a report may print (registry date, site
files).  A writer may also offer `add_capture(path, stats, error)`, which the CLI calls
after each capture.  Keys a writer does not know are carried through: jsonl writes every
key, csv puts them in its `extra` JSON column, eve under its `portlens` key; the html
report aggregates the fields it knows and ignores the rest.

    table   terminal table, one row per flow (colour on a terminal)      table.py
    jsonl   one JSON object per flow                                      jsonl.py
    csv     one header row, flat columns, metadata as a JSON string       csvfile.py
    eve     Suricata EVE `flow` events, portlens fields under "portlens"  eve.py
    html    one self-contained report: matrix heatmap, mismatches first   report.py

Output files: `open_output(path, force)` gives an `Output` whose `stream` the writer
takes. A regular file is written to a hidden temporary file beside its destination
(`.portlens-NAME.XXXXXX`) and renamed over it by `commit()` only when the run decided
its output is worth keeping; `discard()` (and any exception out of the `with` block)
removes the temporary file, so the previous file stays byte for byte. A device, FIFO
or socket (`-o /dev/null`, a pipe to a collector) is written straight through. Every
write error (disk full, EIO, ...) becomes one `OutputError` naming the destination;
a closed pipe stays a BrokenPipeError, which the CLI ends quietly.
"""
from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile

from ..errors import OutputError
from .csvfile import CsvWriter
from .eve import EveWriter
from .jsonl import JsonlWriter
from .parquet import ParquetWriter
from .report import HtmlWriter
from .table import TableWriter
from .zeek import ZeekWriter

WRITERS = {"table": TableWriter, "jsonl": JsonlWriter, "csv": CsvWriter, "eve": EveWriter,
           "html": HtmlWriter,
           "zeek": ZeekWriter,
           "parquet": ParquetWriter}

STDOUT = "<stdout>"


def _problem(e: OSError) -> str:
    return f"cannot write output: {e.strerror or e}"


class GuardedStream:
    """A text stream whose write errors become one OutputError naming the destination
    (a full disk is bad luck, not a bug). BrokenPipeError passes through: the reader
    went away, which the CLI ends quietly."""

    __slots__ = ("_stream", "name", "_writeback", "_kicked")

    # A file that is fsynced at the end (Output's temporary file) has its written
    # bytes sent to the disk as it grows, every this many bytes: the final fsync then
    # waits for the last stretch only, not for gigabytes of a flood's records at once.
    WRITEBACK_EVERY = 64 << 20

    def __init__(self, stream, name: str, writeback: bool = False):
        self._stream = stream
        self.name = name
        self._writeback = writeback and hasattr(os, "posix_fadvise")
        self._kicked = 0

    def _kick(self) -> None:
        """Start the writeback of what was written since the last kick, once that is
        WRITEBACK_EVERY bytes: POSIX_FADV_DONTNEED on the range makes Linux queue its
        dirty pages for writing without waiting, and drop the pages already written
        (a multi-gigabyte output need not fill the page cache).  Best effort: the
        commit's fsync is what makes the file durable."""
        try:
            fd = self._stream.fileno()
            pos = os.lseek(fd, 0, os.SEEK_CUR)
            if pos - self._kicked >= self.WRITEBACK_EVERY:
                os.posix_fadvise(fd, self._kicked, pos - self._kicked, os.POSIX_FADV_DONTNEED)
                self._kicked = pos
        except (AttributeError, ValueError, OSError):
            self._writeback = False

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(self.name, _problem(e)) from None

    def write_bytes(self, data: bytes):
        """Text already encoded as UTF-8 (orjson's output), written to the binary file
        under the text layer, after what the text layer holds: no decode here and
        encode there, which cost a tenth of a flood's time. A stream without a binary
        layer (io.StringIO) gets the decoded text."""
        buf = getattr(self._stream, "buffer", None)
        if buf is None:
            return self.write(data.decode("utf-8"))
        try:
            self._stream.flush()
            n = buf.write(data)
            if self._writeback:
                buf.flush()
                self._kick()
            return n
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(self.name, _problem(e)) from None

    def copy_from(self, fd: int, offset: int, length: int):
        """`length` bytes of UTF-8 text at `offset` of file `fd` (a worker's spool,
        classifier.parallel.Spool), after what the text layer holds: copied inside the
        kernel (sendfile) into a regular file, else read and written."""
        try:
            out = self._stream.fileno()
            # Into a pipe or socket sendfile hands over page references that the reader
            # takes later, after Spool.release has punched the range out: copy only
            # into a regular file (a copy there is made before sendfile returns).
            if not stat.S_ISREG(os.fstat(out).st_mode):
                out = None
        except (AttributeError, ValueError, OSError):
            out = None
        try:
            if out is None:
                return self.write_bytes(os.pread(fd, length, offset))
            self._stream.flush()
            done = 0
            while done < length:
                try:
                    n = os.sendfile(out, fd, offset + done, length - done)
                except OSError as e:
                    if e.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP) or done:
                        raise
                    # an output sendfile cannot write to: read and write instead
                    return self.write_bytes(os.pread(fd, length, offset))
                if n == 0:
                    raise OSError(errno.EIO, "the spool ended early")
                done += n
            if self._writeback:
                self._kick()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(self.name, _problem(e)) from None

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(self.name, _problem(e)) from None

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def buffer(self):
        """The binary file under the text stream (the parquet writer writes bytes);
        stdout's is refused by that writer, which needs a file it can finish."""
        return self._stream.buffer


class Output:
    """One run's output: stdout ("-" or None) or a file. See the module docstring."""

    def __init__(self, path=None, force: bool = False):
        self.path = None if path in (None, "-") else str(path)
        self._tmp = None
        self._fh = None
        self._done = False
        if self.path is None:
            self.name = STDOUT
            self.stream = GuardedStream(sys.stdout, STDOUT)
            return
        self.name = self.path
        try:
            st = os.stat(self.path)                 # follows a symlink to what it names
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise OutputError(self.path, _problem(e)) from None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise OutputError(self.path, "is a directory")
        if st is not None and not stat.S_ISREG(st.st_mode):
            # A device, FIFO or socket (/dev/null, a pipe to a collector): written straight
            # through. Replacing it with a renamed file would destroy it (as root, even
            # /dev/null), and writing to it overwrites nothing a user gave.
            try:
                self._fh = open(self.path, "w", encoding="utf-8", newline="")
            except OSError as e:
                raise OutputError(self.path, _problem(e)) from None
            self.stream = GuardedStream(self._fh, self.path)
            return
        if st is not None and not force:
            raise OutputError(self.path, "output file exists; refusing to overwrite it (use --force)")
        self._target = os.path.realpath(self.path)  # --force on a symlink replaces its target
        directory, base = os.path.split(self._target)
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".portlens-{base}.", dir=directory)
        except OSError as e:
            raise OutputError(self.path, _problem(e)) from None
        self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.stream = GuardedStream(self._fh, self.path, writeback=True)

    @property
    def is_file(self) -> bool:
        """True when the output is a regular file renamed into place on commit()."""
        return self._tmp is not None

    def commit(self) -> None:
        """The output is complete (or a complete partial result): put it in place."""
        if self._done:
            return
        self._done = True
        if self._fh is None:                        # stdout
            self.stream.flush()
            return
        try:
            try:
                self._fh.flush()
                if self._tmp is not None:
                    os.fsync(self._fh.fileno())
                self._fh.close()
            except BrokenPipeError:
                raise
            except OSError as e:
                raise OutputError(self.path, _problem(e)) from None
            if self._tmp is not None:
                # mkstemp creates the file 0600; give it the mode a plain open() would (umask).
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self._tmp, 0o666 & ~umask)
                os.replace(self._tmp, self._target)
                self._tmp = None
        except BaseException:
            self._abandon()
            raise

    def discard(self) -> None:
        """Nothing worth keeping: remove the temporary file; the previous file stays."""
        if self._done:
            return
        self._done = True
        self._abandon()

    def _abandon(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass                                # the write error is already reported
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._tmp = None

    def __enter__(self) -> "Output":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def open_output(path=None, force: bool = False) -> Output:
    """The Output for `path` ("-" or None: stdout); raises OutputError when it cannot
    be written (a directory, an existing file without `force`, no permission)."""
    return Output(path, force)
