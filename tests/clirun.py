"""`portlens ARGS` as a process of its own, without starting an interpreter for it.

Most command-line tests check what a user of the program sees: the exit status, stdout
and stderr as bytes, the files left behind. A new `python -m classifier` for each of
them costs ~0.15 CPU-s of interpreter start and imports (a few hundred runs in the
suite), which tests nothing the tests look at. `portlens()` forks the test process
instead, which has the package imported already, and the child runs what
`python -m classifier` runs (`classifier.cli.main()` with `sys.argv`, ending the process
itself as the program does) with its own stdin, stdout and stderr file descriptors, its
own signal handlers, environment and working folder. The parent collects the output
and the exit status like `subprocess.run`.

What the fork does not cover, and what still starts a real `python -m classifier` or
`portlens` (see the tests that call `subprocess` directly): the interpreter's start and
its imports (tests/test_packaging.py, the README's commands in CI and the new-user run),
terminals (the pty tests), signals sent from outside during a run, live captures fed
while they run (tests/test_live.py), and
runs with an environment of their own (`env=`: settings read at import time would
otherwise keep the test process's values); those go through `subprocess` here too.
"""
from __future__ import annotations

import faulthandler
import io
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL


def _child(args, stdin_fd, stdout_fd, stderr_fd, cwd) -> None:
    """In the forked child: become `portlens ARGS` and never return."""
    status = 1
    try:
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        for fd in {stdin_fd, stdout_fd, stderr_fd}:
            if fd > 2:
                os.close(fd)
        # The handlers of a new interpreter, not those of the test process.
        faulthandler.disable()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                    signal.SIGALRM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)            # as CPython sets them at start
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        if cwd is not None:
            os.chdir(cwd)
        # The standard streams of a new interpreter on these descriptors: UTF-8, stdout
        # block-buffered off a terminal, stderr line-buffered with backslashreplace.
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)),
                                                     encoding="utf-8")
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                                       encoding="utf-8", line_buffering=os.isatty(1))
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                                       encoding="utf-8", errors="backslashreplace",
                                                       line_buffering=True)
        sys.argv = ["portlens", *args]
        import gc
        gc.freeze()         # the test process's objects: not walked (nor copied) by the child's collections
        from classifier import cli
        try:
            status = cli.main()
        except SystemExit as e:                     # argparse, --version, --help: as the interpreter does
            code = e.code
            if code is None:
                status = 0
            elif isinstance(code, int):
                status = code
            else:
                print(code, file=sys.stderr)
                status = 1
        except BaseException:                       # what an uncaught exception prints, status 1
            traceback.print_exc()
            status = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    finally:
        os._exit(status if isinstance(status, int) else 1)


def portlens(*args, input: bytes | None = None, env=None, cwd=None, timeout: float = 120,
             stdout=PIPE, text: bool = False) -> subprocess.CompletedProcess:
    """Run `portlens ARGS`; a `subprocess.CompletedProcess` with stdout (PIPE: bytes, or
    str with `text`; DEVNULL or a file: None) and stderr. `env`: a real interpreter is started, as
    `subprocess.run` would (see the module's docstring)."""
    args = [str(a) for a in args]
    if env is not None:
        return subprocess.run([sys.executable, "-m", "classifier", *args], input=input, env=env, cwd=cwd,
                              timeout=timeout, stdout=stdout, stderr=PIPE, text=text)
    import classifier.cli  # noqa: F401  (imported once in the test process, then shared by every fork)
    in_r, in_w = os.pipe() if input is not None else (os.open(os.devnull, os.O_RDONLY), None)
    if stdout == PIPE:
        out_r, out_w = os.pipe()
    elif stdout == DEVNULL:
        out_r, out_w = None, os.open(os.devnull, os.O_WRONLY)
    else:                                           # a file (object or descriptor) of the test's
        out_r, out_w = None, os.dup(stdout if isinstance(stdout, int) else stdout.fileno())
    err_r, err_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):         # nothing buffered here is written twice
        stream.flush()
    pid = os.fork()
    if pid == 0:
        for fd in (in_w, out_r, err_r):
            if fd is not None:
                os.close(fd)
        _child(args, in_r, out_w, err_w, cwd)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    chunks = {out_r: [], err_r: []} if out_r is not None else {err_r: []}
    sel = selectors.DefaultSelector()
    for fd in chunks:
        sel.register(fd, selectors.EVENT_READ)
    pending = memoryview(input) if input is not None else None
    if pending is not None:
        os.set_blocking(in_w, False)
        sel.register(in_w, selectors.EVENT_WRITE)
    deadline = time.monotonic() + timeout
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(["portlens", *args], timeout)
            for key, _ in sel.select(left):
                fd = key.fd
                if fd == in_w:
                    try:
                        n = os.write(fd, pending[:1 << 16])
                    except BrokenPipeError:
                        n = len(pending)
                    pending = pending[n:]
                    if not len(pending):
                        sel.unregister(fd)
                        os.close(fd)
                        in_w = None
                    continue
                data = os.read(fd, 1 << 16)
                if data:
                    chunks[fd].append(data)
                else:
                    sel.unregister(fd)
    finally:
        sel.close()
        for fd in list(chunks) + ([in_w] if in_w is not None else []):
            os.close(fd)
    _, wstatus = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wstatus)
    out = b"".join(chunks[out_r]) if out_r is not None else None
    err = b"".join(chunks[err_r])
    if text:
        out = out.decode() if out is not None else None
        err = err.decode()
    return subprocess.CompletedProcess(["portlens", *args], code, out, err)
