"""Output formats. Each writer takes records (dicts with schema.FIELDS) one at a time
and a text stream; `open_output` makes sure nothing a user gave is overwritten.

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
"""
from __future__ import annotations

import os
import stat
import sys
import tempfile
from contextlib import contextmanager

from ..errors import PortlensError
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


@contextmanager
def open_output(path, force=False):
    """Yield a text stream for `path` ("-" or None: stdout). A file is written beside
    its destination and renamed into place only when complete, and an existing file
    is never replaced unless `force`."""
    if path in (None, "-"):
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        st = os.stat(path)                          # follows a symlink to what it names
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise PortlensError(f"{path}: cannot write output: {e.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise PortlensError(f"{path}: is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # A device, FIFO or socket (/dev/null, a pipe to a collector): written straight
        # through. Replacing it with a renamed file would destroy it (as root, even
        # /dev/null), and writing to it overwrites nothing a user gave.
        try:
            fh = open(path, "w", encoding="utf-8", newline="")
        except OSError as e:
            raise PortlensError(f"{path}: cannot write output: {e.strerror}") from None
        with fh:
            yield fh
        return
    if st is not None and not force:
        raise PortlensError(f"{path}: output file exists; refusing to overwrite it (use --force)")
    path = os.path.realpath(path)                   # --force on a symlink replaces its target
    directory = os.path.dirname(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".portlens-", dir=directory)
    except OSError as e:
        raise PortlensError(f"{path}: cannot write output: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        # mkstemp creates the file 0600; give it the mode a plain open() would (umask).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
