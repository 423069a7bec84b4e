#!/usr/bin/env python3
"""Throughput and memory benchmark of the fast path, with `cat` as the reference
measured in the same run (issue: fast path >= 10 M packets/s on one core, within 2x
of `cat bench.pcap > /dev/null`, peak RSS <= 150 MiB).

usage: python bench/run.py [--capture PATH] [--packets N] [--repeat K] [--keep-cache]
Builds the capture with ../shared/tools/make_bench_pcap.py when it is missing (the
default path is bench/bench.pcap, which git ignores). Every command is run K times
and its best wall time kept. First the capture is evicted from the page cache and read
back once, so every command reads it from memory, cached as a file read from disk is
(bench/pagecache.py says why that matters; --keep-cache measures it as it is).
Writes the figures to bench/out/results.json as well.
"""
import argparse
import json
import os
import subprocess
import sys
import time

from inputs import DEFAULT_CAPTURE, MAKE_PCAP, NDPI_PCAPS, can_build, require_capture
from pagecache import prepare

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, stdout=subprocess.DEVNULL, shell=False):
    """Wall seconds and peak RSS (MiB) of one child process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, shell=shell)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0,):
        raise SystemExit(f"{cmd} failed: {err}")
    return dt, ru.ru_maxrss / 1024, err


def best(cmd, repeat, **kw):
    runs = [timed(cmd, **kw) for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", default=DEFAULT_CAPTURE)
    ap.add_argument("--packets", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep-cache", action="store_true",
                    help="do not evict the capture from the page cache first")
    args = ap.parse_args()
    if not os.path.exists(args.capture) and can_build():
        print(f"building {args.capture} ...", file=sys.stderr)
        made = subprocess.run([sys.executable, MAKE_PCAP, NDPI_PCAPS, args.capture, str(args.packets)])
        if made.returncode != 0:
            sys.exit(f"bench/run.py: {MAKE_PCAP} failed (exit {made.returncode}); see its message above")
    require_capture("bench/run.py", args.capture)
    size = os.path.getsize(args.capture)
    cache_line = prepare(args.capture, args.keep_cache)

    cat_s, _, _ = best(["cat", args.capture], args.repeat)
    fp_s, fp_rss, fp_err = best([sys.executable, os.path.join(HERE, "fastpath.py"), args.capture],
                                args.repeat, stdout=subprocess.PIPE)
    # fastpath.py times itself (no interpreter start-up); read its own figure back.
    inner = subprocess.run([sys.executable, os.path.join(HERE, "fastpath.py"), args.capture, str(args.repeat)],
                           capture_output=True, text=True, check=True)
    pps = float(inner.stdout.strip().splitlines()[-1])
    packets = int(inner.stderr.split(" packets")[0])
    inner_s = packets / pps
    cli_s, cli_rss, _ = best(["portlens", "flows", args.capture, "--format", "jsonl", "-q"], args.repeat)

    res = {
        "capture": args.capture, "bytes": size, "packets": packets, "page_cache": cache_line,
        "cat_s": round(cat_s, 4),
        "fastpath_s": round(inner_s, 4), "fastpath_pps": round(pps),
        "fastpath_process_s": round(fp_s, 4), "fastpath_peak_rss_mib": round(fp_rss, 1),
        "fastpath_vs_cat": round(inner_s / cat_s, 2),
        "flows_jsonl_s": round(cli_s, 3), "flows_jsonl_peak_rss_mib": round(cli_rss, 1),
    }
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "results.json"), "w") as fh:
        json.dump(res, fh, indent=2)
    print(f"capture            {size / 2**20:.0f} MiB, {packets} packets")
    print(cache_line)
    print(f"cat > /dev/null    {cat_s:.3f} s")
    print(f"fast path alone    {inner_s:.3f} s = {pps / 1e6:.2f} M packets/s "
          f"({inner_s / cat_s:.2f}x cat; target >= 10 M/s and <= 2x cat)")
    print(f"  whole process    {fp_s:.3f} s incl. interpreter start-up, peak RSS {fp_rss:.0f} MiB "
          f"(target <= 150 MiB)")
    print(f"portlens flows     {cli_s:.3f} s with JSON lines to /dev/null, peak RSS {cli_rss:.0f} MiB")


if __name__ == "__main__":
    main()
