#!/usr/bin/env python3
"""The fast path alone: read, decode, track flows, reassemble payload prefixes; each
batch of finished flows is handed to Python as a numpy record array and dropped.

usage: python bench/fastpath.py CAPTURE [REPEAT]
The last line printed is the packet rate (packets per second) of the best run.
"""
import os
import resource
import sys
import time

# One core, as the target says: no BLAS worker threads from numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from inputs import require_capture

from classifier.flows import FlowReader


def once(path):
    t0 = time.perf_counter()
    reader = FlowReader(path)
    flows = 0
    for batch in reader.batches():
        flows += len(batch.records)          # handed over, then dropped
    dt = time.perf_counter() - t0
    return dt, reader.stats["packets"], flows, reader.error


def main():
    if len(sys.argv) not in (2, 3) or not (len(sys.argv) == 2 or sys.argv[2].isdigit()):
        sys.exit("usage: python bench/fastpath.py CAPTURE [REPEAT] (the capture: bench/bench.pcap, "
                 "made by bench/run.py from ../shared)")
    path = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    require_capture("bench/fastpath.py", path)
    best = None
    for _ in range(repeat):
        dt, packets, flows, err = once(path)
        if err:
            print(f"damaged input: {err}", file=sys.stderr)
        if best is None or dt < best[0]:
            best = (dt, packets, flows)
    dt, packets, flows = best
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{packets} packets, {flows} flows in {dt:.3f} s (best of {repeat}); peak RSS {rss:.0f} MiB",
          file=sys.stderr)
    print(f"{packets / dt:.0f}")


if __name__ == "__main__":
    main()
