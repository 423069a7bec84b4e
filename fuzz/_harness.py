"""What the fuzz harnesses share: which `classifier` they fuzz, the strict-probe switch,
a scratch capture file in memory, and a pure-Python walk over classic pcap records.

Which build is fuzzed: with PYTHONPATH set (the sanitizer build of fuzz/build_asan.sh,
or any other) `classifier` comes from there; without it, from this checkout (an in-place
`python setup.py build_ext --inplace`), never from an installed copy elsewhere. Each
harness prints the path it imported on stderr, so a run says what it fuzzed.
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, ROOT)

# A probe that raises is a bug: with this set the detection engine re-raises it instead
# of counting it (classifier/detectors/_fast.pyx), so atheris reports it as a crash.
os.environ.setdefault("PORTLENS_STRICT_PROBES", "1")

# Link types the fast path decodes (_fastpath/decode.pxi), for frames fed one by one.
LINKTYPES = (1, 113, 276, 101, 12, 14, 228, 229, 0, 108, 9, 50, 104, 192)


SKIP_MODULES = {"__main__", "train", "evaluate", "augment", "data", "live"}


def import_all():
    """Import every module of the `classifier` package. Called inside
    `atheris.instrument_imports()`: only modules imported there get Python coverage,
    and the package imports many of its modules lazily, inside functions."""
    import importlib
    import pkgutil
    import classifier
    for mod in pkgutil.walk_packages(classifier.__path__, "classifier."):
        # Not what analysing a capture runs: __main__ would start the CLI; training,
        # evaluation and live capture pull in scikit-learn or libpcap.
        if mod.name.rsplit(".", 1)[-1] in SKIP_MODULES:
            continue
        importlib.import_module(mod.name)


# Set by fuzz/replay.py before it imports a harness: the harness's TestOneInput is then
# called directly on files and deterministic mutations of them, without atheris.
REPLAY = False


def instrumented():
    """What a harness imports `classifier` under: `atheris.instrument_imports()` when it
    fuzzes (Python coverage guides the mutations), nothing when it replays inputs (every
    argument that is not an option names a file: libFuzzer runs each file once and no
    coverage is used; instrumenting the package costs ~3.5 s of CPU per start, most of
    a reproducer's replay in tests/test_fuzz_harnesses.py)."""
    import contextlib
    if REPLAY:                          # fuzz/replay.py: no libFuzzer, no coverage
        return contextlib.nullcontext()
    import atheris
    inputs = [a for a in sys.argv[1:] if not a.startswith("-")]
    if inputs and all(os.path.isfile(a) for a in inputs):
        return contextlib.nullcontext()
    return atheris.instrument_imports(include=["classifier"])


def announce(name):
    import classifier
    sys.stderr.write(f"{name}: fuzzing {os.path.dirname(classifier.__file__)}"
                     f" (PORTLENS_STRICT_PROBES={os.environ.get('PORTLENS_STRICT_PROBES')})\n")


class Scratch:
    """One capture file the reader opens by path, rewritten for every input. A memfd
    (a regular file in RAM, opened through /proc/self/fd) leaves nothing behind when
    the process dies; /dev/shm is the fallback."""

    def __init__(self, name):
        self.fd = None
        if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
            try:
                self.fd = os.memfd_create(f"portlens-{name}")
                self.path = f"/proc/self/fd/{self.fd}"
            except OSError:
                self.fd = None
        if self.fd is None:
            base = "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp"
            self.path = os.path.join(base, f"portlens-fuzz-{name}-{os.getpid()}.pcap")
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            import atexit
            atexit.register(self._unlink)

    def write(self, data):
        os.ftruncate(self.fd, 0)
        if data:
            os.pwrite(self.fd, data, 0)
        return self.path

    def _unlink(self):
        try:
            os.unlink(self.path)
        except OSError:
            pass


_PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": ("<", 16, 1000), b"\xa1\xb2\xc3\xd4": (">", 16, 1000),
               b"\x4d\x3c\xb2\xa1": ("<", 16, 1), b"\xa1\xb2\x3c\x4d": (">", 16, 1),
               b"\x34\xcd\xb2\xa1": ("<", 24, 1000), b"\xa1\xb2\xcd\x34": (">", 24, 1000)}


def pcap_frames(data, limit=64):
    """(ts_ns, linktype, frame) of a classic pcap's first `limit` records, walked in
    Python, independent of the fast path's reader; [] when `data` is not a pcap."""
    hdr = _PCAP_MAGIC.get(bytes(data[:4]))
    if hdr is None or len(data) < 24:
        return []
    e, rec, ns = hdr
    linktype = struct.unpack_from(e + "I", data, 20)[0] & 0xFFFF
    out, pos = [], 24
    while pos + rec <= len(data) and len(out) < limit:
        sec, frac, caplen, _wire = struct.unpack_from(e + "IIII", data, pos)
        pos += rec
        frame = data[pos:pos + caplen]
        pos += caplen
        if frame:
            out.append((sec * 1_000_000_000 + frac * ns, linktype, frame))
    return out


# Bugs the fuzzers found that are reported but not fixed yet, each with its reproducer
# in fuzz/crashes/ (named <harness>-<what>: the harness that crashes on it). A harness stops on them like on any crash, except under
# PORTLENS_FUZZ_ALLOW_KNOWN=1 (the CI test and a long run while the fix is pending),
# where an input that hits one of these is counted on stderr and the fuzzing goes on.
# tests/test_fuzz_harnesses.py runs every reproducer without the allowance and expects
# it to crash (strict xfail): when a fix lands the test says so, and the entry and its
# reproducer's xfail go (the reproducer stays, as a regression seed).
def _zlib_error(exc):
    import zlib
    return isinstance(exc, zlib.error)


KNOWN_BUGS = {
    # (none open; fixed ones keep their reproducer in fuzz/crashes/ as regression input:
    # gzip-zlib-error, damaged deflate data escaping FlowReader() as zlib.error, fixed
    # by catching zlib.error in Capture._refill)
}
_known_seen = {}


def guard(test_one_input):
    """`test_one_input` as atheris calls it, with PORTLENS_FUZZ_ALLOW_KNOWN applied."""
    if os.environ.get("PORTLENS_FUZZ_ALLOW_KNOWN") != "1":
        return test_one_input

    def run(data):
        try:
            test_one_input(data)
        except Exception as exc:
            for name, (match, _repro) in KNOWN_BUGS.items():
                if match(exc):
                    n = _known_seen[name] = _known_seen.get(name, 0) + 1
                    if n & (n - 1) == 0:            # 1, 2, 4, 8, ...: a trace, not a flood
                        sys.stderr.write(f"known bug {name} hit ({n} inputs so far): "
                                         f"{type(exc).__name__}: {exc}\n")
                    return
            raise
    return run
