"""Output formats. Each writer takes records (dicts with schema.FIELDS) one at a time
and a text stream; `open_output` makes sure nothing a user gave is overwritten."""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager

from ..errors import PortlensError
from .jsonl import JsonlWriter
from .table import TableWriter

WRITERS = {"table": TableWriter, "jsonl": JsonlWriter}


@contextmanager
def open_output(path, force=False):
    """Yield a text stream for `path` ("-" or None: stdout). A file is written beside
    its destination and renamed into place only when complete, and an existing file
    is never replaced unless `force`."""
    if path in (None, "-"):
        yield sys.stdout
        sys.stdout.flush()
        return
    if os.path.exists(path) and not force:
        raise PortlensError(f"{path}: output file exists; refusing to overwrite it (use --force)")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".portlens-", dir=directory)
    except OSError as e:
        raise PortlensError(f"{path}: cannot write output: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
