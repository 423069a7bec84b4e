#!/usr/bin/env python3
"""End-to-end benchmark of `portlens analyze` (issue 4: payload detectors), with the
references measured in the same run on the same file:

    cat bench.pcap > /dev/null                      reading the file (page cache)
    suricata -r ... (if installed)                   protocol detection, no rules
    portlens flows   bench.pcap --format jsonl       fast path + output, no labels
    portlens analyze bench.pcap --format jsonl       the issue's command
    portlens analyze ... --ml off                    detectors and verdicts, no model
                                                     (when the CLI has --ml)

usage: python bench/analyze.py [--capture PATH] [--repeat N] [--no-suricata]
                               [--keep-cache] [--compare TREE [--compare TREE ...]]

The capture is first evicted from the page cache and read back once, so every command
reads it from memory, cached as a file read from disk is (bench/pagecache.py).

--compare runs `python -m classifier analyze` from another source tree with its
extensions built (e.g. an earlier commit: git archive REV | tar -x -C TREE, then
python setup.py build_ext --inplace there), for a before/after in the same run.

Every command runs N times (default 3), round-robin so that load from other jobs on
the machine spreads over all of them; the table gives the median wall time, the median
CPU time (user + system, all threads, from the child's rusage) and the largest peak
RSS.  The targets are checked as ratios within this one run: analyze's wall time
below Suricata's, and analyze's peak RSS at most 200 MiB.

Suricata runs with an empty rule file (-S /dev/null), checksums ignored (-k none) and
one output: EVE flow records (each flow with its app_proto: protocol detection only,
the counterpart of portlens' per-flow records).  It runs twice: in its default
runmode (autofp: one reader thread, one worker per core) and with --runmode single.
The figures are machine-specific: bench/out/analyze.json is written for the record
(bench/out/ is git-ignored), not for committing.

Python bytecode is compiled first (`python -m compileall classifier`), as an installed
package has it; without it every run would also compile ~100 modules from source (this
environment sets PYTHONDONTWRITEBYTECODE, so nothing would be cached between runs).
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

from inputs import DEFAULT_CAPTURE, require_capture
from pagecache import prepare

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RSS_TARGET_MIB = 200

# Suricata's output reduced to EVE flow records; everything else of its stock
# configuration (app-layer parsers, stream engine, memcaps, threads) stays.
SURICATA_INCLUDE = """%YAML 1.1
---
outputs:
  - fast:
      enabled: no
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - flow
  - stats:
      enabled: no
"""


def portlens_cmd():
    """The console script beside this interpreter (not a version manager's shim)."""
    exe = os.path.join(os.path.dirname(sys.executable), "portlens")
    if os.path.exists(exe):
        return [exe]
    found = shutil.which("portlens")
    return [found] if found else [sys.executable, "-m", "classifier"]


def run_once(cmd, stdout=subprocess.DEVNULL, tree=None):
    """(wall s, CPU s, peak RSS MiB) of one child process, from its own rusage."""
    env = None
    if tree:
        env = dict(os.environ, PYTHONPATH=tree)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, cwd=tree or ROOT, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def suricata_version():
    try:
        out = subprocess.run(["suricata", "-V"], capture_output=True, text=True).stdout
    except OSError:
        return None
    return out.strip().replace("This is Suricata version ", "") or None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--capture", default=DEFAULT_CAPTURE)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-suricata", action="store_true")
    ap.add_argument("--keep-cache", action="store_true",
                    help="do not evict the capture from the page cache first (bench/pagecache.py)")
    ap.add_argument("--no-compileall", action="store_true")
    ap.add_argument("--compare", action="append", default=[], metavar="TREE",
                    help="also time `analyze` from this source tree (built in place)")
    args = ap.parse_args()
    cap = os.path.abspath(args.capture)
    require_capture("bench/analyze.py", cap)
    trees = [os.path.abspath(t) for t in args.compare]
    if not args.no_compileall:
        for tree in [ROOT] + trees:
            subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(tree, "classifier")],
                           stdout=subprocess.DEVNULL, check=False)
    cache_line = prepare(cap, args.keep_cache)
    print(cache_line)

    pl = portlens_cmd()
    has_ml = "--ml" in subprocess.run(pl + ["analyze", "--help"], capture_output=True, text=True).stdout
    tmp = tempfile.mkdtemp(prefix="portlens-bench-")
    include = os.path.join(tmp, "protocol-detection-only.yaml")
    with open(include, "w") as fh:
        fh.write(SURICATA_INCLUDE)
    suri = None if args.no_suricata else shutil.which("suricata")
    suri_ver = suricata_version() if suri else None

    def suricata(runmode):
        logdir = tempfile.mkdtemp(dir=tmp)
        cmd = [suri, "-r", cap, "-l", logdir, "-k", "none", "-S", "/dev/null", "--include", include]
        return cmd + (["--runmode", runmode] if runmode else [])

    jobs = [("cat", ["cat", cap], None)]
    if suri:
        jobs += [("suricata autofp", suricata(None), None), ("suricata single", suricata("single"), None)]
    jobs += [("portlens flows", pl + ["flows", cap, "--format", "jsonl"], None),
             ("portlens analyze", pl + ["analyze", cap, "--format", "jsonl"], None)]
    if has_ml:
        jobs.append(("portlens analyze --ml off", pl + ["analyze", cap, "--format", "jsonl", "--ml", "off"], None))
    for tree in trees:
        jobs.append((f"analyze @{os.path.basename(tree)}",
                     [sys.executable, "-m", "classifier", "analyze", cap, "--format", "jsonl"], tree))

    runs = {name: [] for name, _, _ in jobs}
    try:
        for k in range(args.repeat):
            for name, cmd, tree in jobs:
                runs[name].append(run_once(cmd, tree=tree))
                print(f"  run {k + 1}/{args.repeat} {name:28s} {runs[name][-1][0]:7.2f} s", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = {}
    for name, cmd, tree in jobs:
        r = runs[name]
        rows[name] = {
            "cmd": (f"PYTHONPATH={tree} " if tree else "") + " ".join(cmd).replace(tmp, "$TMP"),
            "wall_s": round(statistics.median(x[0] for x in r), 3),
            "cpu_s": round(statistics.median(x[1] for x in r), 3),
            "peak_rss_mib": round(max(x[2] for x in r), 1),
            "runs": [[round(w, 3), round(c, 3), round(m, 1)] for w, c, m in r],
        }
    an = rows["portlens analyze"]
    ratios = {"analyze_rss_vs_200mib": round(an["peak_rss_mib"] / RSS_TARGET_MIB, 3)}
    for ref in ("suricata autofp", "suricata single"):
        if ref in rows:
            key = ref.replace(" ", "_")
            ratios[f"analyze_wall_vs_{key}"] = round(an["wall_s"] / rows[ref]["wall_s"], 3)
            ratios[f"analyze_cpu_vs_{key}"] = round(an["cpu_s"] / rows[ref]["cpu_s"], 3)
            if "portlens analyze --ml off" in rows:
                ratios[f"analyze_ml_off_wall_vs_{key}"] = round(
                    rows["portlens analyze --ml off"]["wall_s"] / rows[ref]["wall_s"], 3)
            for tree in trees:
                name = f"analyze @{os.path.basename(tree)}"
                ratios[f"{name.replace(' ', '_')}_wall_vs_{key}"] = round(
                    rows[name]["wall_s"] / rows[ref]["wall_s"], 3)

    print(f"\ncapture {cap}: {os.path.getsize(cap) / 2**20:.0f} MiB; "
          f"median of {args.repeat} runs each; CPU = user + system of all threads")
    print(f"{'command':28s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MiB':>13s}")
    for name in rows:
        r = rows[name]
        print(f"{name:28s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mib']:13.1f}")
    print()
    for k, v in ratios.items():
        print(f"{k:52s} {v:6.2f}")
    if suri_ver:
        print(f"suricata {suri_ver}; {rows['suricata single']['cmd']}")
    verdict = []
    best_suri = min((rows[r]["wall_s"] for r in ("suricata autofp", "suricata single") if r in rows),
                    default=None)
    if best_suri is not None:
        verdict.append(f"wall below Suricata's (best runmode): {'yes' if an['wall_s'] < best_suri else 'NO'}")
    verdict.append(f"peak RSS <= {RSS_TARGET_MIB} MiB: {'yes' if an['peak_rss_mib'] <= RSS_TARGET_MIB else 'NO'}")
    print("; ".join(verdict))

    out = {"capture": cap, "bytes": os.path.getsize(cap), "repeat": args.repeat, "page_cache": cache_line,
           "suricata_version": suri_ver, "cpus": os.cpu_count(), "results": rows, "ratios": ratios,
           "loadavg_after": os.getloadavg()}
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "analyze.json"), "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    main()
