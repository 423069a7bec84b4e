#!/usr/bin/env python3
"""Floods: `portlens analyze --format jsonl` beside Suricata on captures made to hurt a
flow tracker, generated on the fly (bench/floodgen.py; nothing is committed):

    syn    5 M SYN flows                      udp    5 M random UDP flows
    frag   1 M first fragments                ooo    100k out-of-order TCP connections
    one    one 10 M-packet TCP flow                  (10 segments each, round-robin)

usage: python bench/flood.py [--only syn,udp,...] [--scale 0.1] [--repeat N]
                             [--dir DIR] [--no-suricata] [--keep]

Each capture is written under --dir (default: a temporary directory, removed at the
end unless --keep), evicted from the page cache and read back once (bench/pagecache.py),
then every command runs --repeat times round-robin, each run without the previous
run's output (portlens' file, Suricata's eve.json). The table gives the median wall
time, the median CPU time (user + system, all threads) and the largest peak RSS, and
the ratios against Suricata measured in the same run (autofp, its default, and
--runmode single), the records written, and portlens' evictions and absorbed packets.
Targets (issue 20): portlens at most Suricata's wall time on `udp`; peak RSS at most
200 MiB on every flood. --scale shrinks every flood (0.1: a tenth) for a quick look.
Needs only numpy and this checkout; Suricata if installed (Debian: suricata from
bookworm-backports).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import floodgen  # noqa: E402
from analyze import SURICATA_INCLUDE, portlens_cmd, run_once, suricata_version  # noqa: E402
from pagecache import prepare  # noqa: E402

RSS_TARGET_MIB = 200


def count_lines(path):
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(floodgen.FLOODS), help="comma-separated floods")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--dir", help="where the captures go (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the generated captures")
    ap.add_argument("--no-suricata", action="store_true")
    ap.add_argument("--ml-off", action="store_true", help="also time portlens with --ml off")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in floodgen.FLOODS]
    if unknown:
        raise SystemExit(f"flood.py: unknown flood(s) {', '.join(unknown)}; choose from {', '.join(floodgen.FLOODS)}")
    work = args.dir or tempfile.mkdtemp(prefix="portlens-flood-")
    os.makedirs(work, exist_ok=True)
    suri = None if args.no_suricata else shutil.which("suricata")
    include = os.path.join(work, "protocol-detection-only.yaml")
    with open(include, "w") as fh:
        fh.write(SURICATA_INCLUDE)
    pl = portlens_cmd()
    results = {}
    try:
        for name in names:
            gen, size, what = floodgen.FLOODS[name]
            n = max(1, int(size * args.scale))
            cap = os.path.join(work, f"flood-{name}.pcap")
            # Generated in a child: this process stays small, so the peak RSS a command
            # inherits through fork (Linux keeps ru_maxrss across exec) stays small too.
            packets = int(subprocess.run(
                [sys.executable, "-c", f"import floodgen; print(floodgen.{name}({cap!r}, {n}))"],
                cwd=HERE, check=True, capture_output=True, text=True).stdout)
            print(f"{name}: {what} (scale {args.scale}): {packets} packets, "
                  f"{os.path.getsize(cap) / 2**20:.0f} MiB; {prepare(cap, False)}", file=sys.stderr)
            out = os.path.join(work, f"flood-{name}.jsonl")
            jobs = [("portlens analyze", pl + ["analyze", cap, "--format", "jsonl", "--force", "-o", out])]
            if args.ml_off:
                jobs.append(("portlens --ml off", pl + ["analyze", cap, "--format", "jsonl", "--ml", "off",
                                                       "--force", "-o", out]))
            if suri:
                for mode in ("autofp", "single"):
                    logdir = os.path.join(work, f"suri-{name}-{mode}")
                    os.makedirs(logdir, exist_ok=True)
                    cmd = [suri, "-r", cap, "-l", logdir, "-k", "none", "-S", "/dev/null", "--include", include]
                    jobs.append((f"suricata {mode}", cmd + (["--runmode", "single"] if mode == "single" else [])))
            runs = {j: [] for j, _ in jobs}
            for k in range(args.repeat):
                for j, cmd in jobs:
                    # Every run starts without the previous run's output (outside the
                    # timing): replacing a 3 GB file costs portlens ~0.6 s of unlink in
                    # its final rename, while Suricata would append to its eve.json.
                    for old in ([out] if j.startswith("portlens") else
                                [os.path.join(cmd[cmd.index("-l") + 1], "eve.json")]):
                        if os.path.exists(old):
                            os.unlink(old)
                    runs[j].append(run_once(cmd))
                    print(f"  run {k + 1}/{args.repeat} {j:20s} {runs[j][-1][0]:8.2f} s", file=sys.stderr)
            row = {"packets": packets}
            for j, _ in jobs:
                r = runs[j]
                row[j] = {"wall_s": round(statistics.median(x[0] for x in r), 2),
                          "cpu_s": round(statistics.median(x[1] for x in r), 2),
                          "peak_rss_mib": round(max(x[2] for x in r), 1)}
            row["portlens_records"] = count_lines(out)
            # the summary of one more run, for the evictions and absorbed packets
            res = subprocess.run(pl + ["flows", cap, "--format", "jsonl", "-o", os.devnull],
                                 capture_output=True, text=True)
            row["portlens_summary"] = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else ""
            if suri:
                eve = os.path.join(work, f"suri-{name}-single", "eve.json")
                row["suricata_records"] = count_lines(eve) if os.path.exists(eve) else None
            results[name] = row
            os.unlink(out)
            if not args.keep:
                os.unlink(cap)
    finally:
        if not args.dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nmedian of {args.repeat} run(s); CPU = user + system of all threads; scale {args.scale}")
    if suri:
        print(f"suricata {suricata_version()}: -k none -S /dev/null, EVE flow records only")
    head = f"{'flood':6s} {'command':20s} {'wall s':>8s} {'CPU s':>8s} {'RSS MiB':>8s} {'wall/suri-autofp':>17s} {'wall/suri-single':>17s}"
    print(head)
    verdict = []
    for name, row in results.items():
        for j in [k for k in row if isinstance(row[k], dict)]:
            r = row[j]
            ra = rs = ""
            if "suricata autofp" in row and not j.startswith("suricata"):
                ra = f"{r['wall_s'] / row['suricata autofp']['wall_s']:.2f}"
                rs = f"{r['wall_s'] / row['suricata single']['wall_s']:.2f}"
            print(f"{name:6s} {j:20s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mib']:8.1f} {ra:>17s} {rs:>17s}")
        print(f"{'':6s} records: portlens {row['portlens_records']}"
              + (f", suricata {row.get('suricata_records')}" if suri else "") + f" ({row['packets']} packets)")
        rss = row["portlens analyze"]["peak_rss_mib"]
        verdict.append(f"{name}: peak RSS {rss:.0f} MiB {'<=' if rss <= RSS_TARGET_MIB else '>'} {RSS_TARGET_MIB}")
    if "udp" in results and "suricata autofp" in results["udp"]:
        u = results["udp"]
        best = min(u["suricata autofp"]["wall_s"], u["suricata single"]["wall_s"])
        auto = u["suricata autofp"]["wall_s"]
        mine = u["portlens analyze"]["wall_s"]
        verdict.append(f"udp: portlens wall {mine:.2f} s vs Suricata's default runmode (autofp) "
                       f"{auto:.2f} s: {'met' if mine <= auto else 'NOT met'}")
        verdict.append(f"udp: portlens wall {mine:.2f} s vs Suricata's best runmode "
                       f"{best:.2f} s: {'met' if mine <= best else 'NOT met'}")
    print("\n".join(verdict))
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "flood.json"), "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
