#!/usr/bin/env python3
"""A folder of many captures through a Dask LocalCluster (2 worker processes, one
thread each) beside the serial run and --jobs 2, in the same run (issue 19):

    portlens analyze FOLDERS... -f jsonl --jobs 1        one process
    portlens analyze FOLDERS... -f jsonl --jobs 2        two worker processes on this host
    classifier.distributed.analyze_files(FOLDERS, client, OUTDIR)
                                                         one task per capture, jsonl shards

usage: python bench/dask_cluster.py [--repeat N] [FOLDER ...]

Default folders: pcaps/corpus and ../shared/ndpi-dev/pcaps (when present). The cluster
is started once, before the timing (a real cluster outlives a job); each Dask round is
timed from the first submit to the summary written. Rounds go round-robin so that
other jobs' load spreads over all three; medians are printed, and the records of the
Dask run are checked against the serial run's (sorted). Needs Dask distributed.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from inputs import NDPI_PCAPS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def serial(folders, jobs, out):
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "classifier", "analyze", *folders, "-f", "jsonl", "-o", out,
                        "--force", "-q", "--jobs", str(jobs)], cwd=ROOT,
                       stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=ROOT))
    if p.returncode not in (0, 3):          # 3: a capture of the folder could not be read
        raise SystemExit(p.stderr.decode())
    return time.perf_counter() - t0


def sorted_lines(paths):
    lines = []
    for p in paths:
        with open(p) as fh:
            lines += [json.dumps(json.loads(x), sort_keys=True) for x in fh]
    return sorted(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folders = args.folders or [os.path.join(ROOT, "pcaps", "corpus")] + (
        [NDPI_PCAPS] if os.path.isdir(NDPI_PCAPS) else [])
    missing = [f for f in folders if not os.path.isdir(f)]
    if missing:
        print(f"bench/dask_cluster.py: no such folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    sys.path.insert(0, ROOT)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("bench/dask_cluster.py: needs Dask distributed (pip install 'portlens[distributed]')",
              file=sys.stderr)
        return 2
    from classifier.distributed import analyze_files

    tmp = tempfile.mkdtemp(prefix="portlens-dask-bench-")
    times = {"jobs 1": [], "jobs 2": [], "dask 2 workers": []}
    load_before = os.getloadavg()
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            for k in range(args.repeat):
                times["jobs 1"].append(serial(folders, 1, os.path.join(tmp, "serial.jsonl")))
                times["jobs 2"].append(serial(folders, 2, os.path.join(tmp, "jobs2.jsonl")))
                out = os.path.join(tmp, f"dask{k}")
                t0 = time.perf_counter()
                summary = analyze_files(folders, client, out, progress=lambda d, t: None)
                times["dask 2 workers"].append(time.perf_counter() - t0)
                print(f"  round {k + 1}/{args.repeat}: " + ", ".join(f"{n} {v[-1]:.2f} s" for n, v in times.items()),
                      file=sys.stderr)
        same = sorted_lines([os.path.join(tmp, "serial.jsonl")]) == \
            sorted_lines([os.path.join(out, s) for s in summary["shards"]])
        same2 = sorted_lines([os.path.join(tmp, "serial.jsonl")]) == sorted_lines([os.path.join(tmp, "jobs2.jsonl")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t = summary["totals"]
    print(f"{len(summary['captures'])} captures ({t['unreadable']} unreadable), {t['packets']} packets, "
          f"{t['records']} records; folders: {', '.join(folders)}")
    print(f"{'run':18s} {'median wall s':>14s}  runs")
    med = {n: statistics.median(v) for n, v in times.items()}
    for n, v in times.items():
        print(f"{n:18s} {med[n]:14.2f}  {' '.join(f'{x:.2f}' for x in v)}")
    print(f"dask / jobs 1: {med['dask 2 workers'] / med['jobs 1']:.2f}; jobs 2 / jobs 1: "
          f"{med['jobs 2'] / med['jobs 1']:.2f}; records: dask {'same as' if same else 'DIFFER from'} serial, "
          f"jobs 2 {'same as' if same2 else 'DIFFER from'} serial")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    return 0 if same and same2 else 1


if __name__ == "__main__":
    sys.exit(main())
