"""What the benchmarks read, and the one line they exit with when it is not there.

Their capture, bench/bench.pcap (git-ignored), is generated from the nDPI captures in
../shared (the folder beside the checkout): ../shared/tools/make_bench_pcap.py writes it
from ../shared/ndpi-dev/pcaps. A clone without ../shared can still benchmark a capture
of its own with --capture PATH.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
MAKE_PCAP = os.path.join(SHARED, "tools", "make_bench_pcap.py")
NDPI_PCAPS = os.path.join(SHARED, "ndpi-dev", "pcaps")
DEFAULT_CAPTURE = os.path.join(HERE, "bench.pcap")


def can_build() -> bool:
    """Whether ../shared has what makes the benchmark capture."""
    return os.path.isfile(MAKE_PCAP) and os.path.isdir(NDPI_PCAPS)


def missing_line(prog: str, capture: str) -> str:
    """One line: which capture is missing, what makes it, and the way around it."""
    if can_build():
        how = "make it with `python bench/run.py` (from ../shared/tools/make_bench_pcap.py)"
    else:
        how = (f"it is made from ../shared/ndpi-dev/pcaps by ../shared/tools/make_bench_pcap.py, "
               f"and {SHARED} is absent here")
    return f"{prog}: needs the capture {capture}, which is missing: {how}; or give --capture PATH"


def require_capture(prog: str, capture: str) -> None:
    """Exit (status 2, one line on stderr) when the capture is missing."""
    if not os.path.exists(capture):
        print(missing_line(prog, capture), file=sys.stderr)
        sys.exit(2)
