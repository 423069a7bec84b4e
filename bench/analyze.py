#!/usr/bin/env python3
"""End-to-end benchmark of `portlens analyze` (issue 4: payload detectors), with the
references measured in the same run on the same file:

    cat bench.pcap > /dev/null                      reading the file (page cache)
    one, then two processes spinning 1 s of CPU     how many cores the machine offers now
    suricata -r ... (if installed)                   protocol detection, no rules
    portlens flows   bench.pcap --format jsonl       fast path + output, no labels
    portlens analyze bench.pcap --format jsonl --jobs 1   the issue's command, one process
    portlens analyze ... --jobs 2                    two worker processes (issue 19)
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
CPU time (user + system, all threads and worker processes, from the child's rusage),
the largest peak RSS of the command's own process, and the peak of the RSS (and PSS)
summed over the command and all its descendants, sampled every 50 ms (forked workers
share pages, which the RSS sum counts once per process and the PSS sum splits).  The targets are checked as ratios within this one run: analyze's wall time
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


def _tree_memory(pid):
    """(RSS, PSS) in KiB of process `pid` and all its descendants, from /proc: the RSS
    sum counts pages the processes share (forked workers) once per process, the PSS
    sum splits them; both are given."""
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


# How often the process tree's memory is sampled while a command runs.
SAMPLE_S = 0.05


def run_once(cmd, stdout=subprocess.DEVNULL, tree=None):
    """(wall s, CPU s, peak RSS MiB, peak RSS of all processes MiB, peak PSS of all
    processes MiB) of one command: wall and CPU from its rusage (CPU includes the worker
    processes it waited for), the process tree's memory sampled every SAMPLE_S."""
    env = None
    if tree:
        env = dict(os.environ, PYTHONPATH=tree)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, cwd=tree or ROOT, env=env)
    # stderr is read after the end: the commands are run with --quiet-sized output.
    peak_rss = peak_pss = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = _tree_memory(p.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, peak_rss / 1024.0, peak_pss / 1024.0


# The machine's parallelism in this run, for --jobs 2 to be read against: one process
# spinning for 1 s of CPU, then two at once. On two free cores both take ~1 s; when
# other jobs hold the cores, two take longer than one, up to twice as long when the
# machine offers one core in all (then no process-parallel run can be faster).
SPIN = ("import sys, time, multiprocessing as mp\n"
        "def spin():\n"
        "    t = time.process_time()\n"
        "    while time.process_time() - t < 1.0: pass\n"
        "if __name__ == '__main__':\n"
        "    ps = [mp.get_context('fork').Process(target=spin) for _ in range(int(sys.argv[1]))]\n"
        "    [p.start() for p in ps]; [p.join() for p in ps]\n")


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
    load_before = os.getloadavg()
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

    jobs = [("cat", ["cat", cap], None),
            ("spin 1 CPU-s x1", [sys.executable, "-c", SPIN, "1"], None),
            ("spin 1 CPU-s x2 at once", [sys.executable, "-c", SPIN, "2"], None)]
    if suri:
        jobs += [("suricata autofp", suricata(None), None), ("suricata single", suricata("single"), None)]
    # --jobs 1 is the one-process figure every earlier run of this script measured (the
    # default is now every usable core); --jobs 2 is issue 19's, beside it in the same run.
    # The fixed cost of one run (interpreter start, imports, model, output, exit) on a
    # capture of one flow: no split of the capture's work between processes can shorten
    # it, so it bounds what --jobs 2 can gain (Amdahl; the bound is printed below).
    tiny = os.path.join(os.path.dirname(HERE), "pcaps", "corpus", "mismatch-ssh-on-443.pcap")
    jobs += [("portlens analyze, 1 flow", pl + ["analyze", tiny, "--format", "jsonl", "--jobs", "1"], None)]
    jobs += [("portlens flows", pl + ["flows", cap, "--format", "jsonl", "--jobs", "1"], None),
             ("portlens analyze", pl + ["analyze", cap, "--format", "jsonl", "--jobs", "1"], None),
             ("portlens analyze --jobs 2", pl + ["analyze", cap, "--format", "jsonl", "--jobs", "2"], None)]
    if has_ml:
        jobs.append(("portlens analyze --ml off", pl + ["analyze", cap, "--format", "jsonl", "--ml", "off",
                                                        "--jobs", "1"], None))
    # Another tree: the same two commands (one process, then two), so each row has its
    # before/after twin in this run.
    # A tree from before --jobs existed (e.g. 2ff9ef0, issue 14's reference) runs its one
    # process without the option, and has no --jobs 2 twin.
    old_trees = set()
    for tree in trees:
        helptext = subprocess.run([sys.executable, "-m", "classifier", "analyze", "--help"], capture_output=True,
                                  text=True, cwd=tree, env=dict(os.environ, PYTHONPATH=tree)).stdout
        one = ["--jobs", "1"] if "--jobs" in helptext else []
        if not one:
            old_trees.add(tree)
        jobs.append((f"analyze @{os.path.basename(tree)}",
                     [sys.executable, "-m", "classifier", "analyze", cap, "--format", "jsonl"] + one, tree))
        if one:
            jobs.append((f"analyze --jobs 2 @{os.path.basename(tree)}",
                         [sys.executable, "-m", "classifier", "analyze", cap, "--format", "jsonl", "--jobs", "2"], tree))

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
            "peak_rss_all_mib": round(max(x[3] for x in r), 1),
            "peak_pss_all_mib": round(max(x[4] for x in r), 1),
            "runs": [[round(v, 3) for v in x] for x in r],
        }
    an = rows["portlens analyze"]
    ratios = {"analyze_rss_vs_200mib": round(an["peak_rss_mib"] / RSS_TARGET_MIB, 3)}
    j2 = rows["portlens analyze --jobs 2"]
    ratios["analyze_jobs2_wall_vs_jobs1"] = round(j2["wall_s"] / an["wall_s"], 3)
    # Per round too: the two ran back to back, so their ratio in one round shares that
    # round's load from other jobs on the machine; the median of those is steadier.
    ratios["analyze_jobs2_wall_vs_jobs1_median_of_rounds"] = round(statistics.median(
        b[0] / a[0] for a, b in zip(runs["portlens analyze"], runs["portlens analyze --jobs 2"])), 3)
    # Amdahl: with the fixed cost F of a run (the one-flow capture) and the rest of
    # --jobs 1's wall split perfectly in two at no cost, --jobs 2 takes F + (T1 - F) / 2.
    fixed = rows["portlens analyze, 1 flow"]["wall_s"]
    ratios["jobs2_vs_jobs1_bound_free_split_of_all_but_fixed_cost"] = round(
        (fixed + (an["wall_s"] - fixed) / 2) / an["wall_s"], 3)
    # What splitting costs: CPU of --jobs 2 (both processes) over --jobs 1's
    ratios["analyze_jobs2_cpu_vs_jobs1"] = round(j2["cpu_s"] / an["cpu_s"], 3)
    # 1.0: two free cores in this run; 2.0: one core in all, shared.
    ratios["spin_x2_wall_vs_x1_machine_parallelism"] = round(
        rows["spin 1 CPU-s x2 at once"]["wall_s"] / rows["spin 1 CPU-s x1"]["wall_s"], 3)
    for ref in ("suricata autofp", "suricata single"):
        if ref in rows:
            key = ref.replace(" ", "_")
            ratios[f"analyze_wall_vs_{key}"] = round(an["wall_s"] / rows[ref]["wall_s"], 3)
            ratios[f"analyze_cpu_vs_{key}"] = round(an["cpu_s"] / rows[ref]["cpu_s"], 3)
            ratios[f"analyze_jobs2_wall_vs_{key}"] = round(j2["wall_s"] / rows[ref]["wall_s"], 3)
            if "portlens analyze --ml off" in rows:
                ratios[f"analyze_ml_off_wall_vs_{key}"] = round(
                    rows["portlens analyze --ml off"]["wall_s"] / rows[ref]["wall_s"], 3)
            for tree in trees:
                for name in (f"analyze @{os.path.basename(tree)}", f"analyze --jobs 2 @{os.path.basename(tree)}"):
                    if name not in rows:
                        continue
                    ratios[f"{name.replace(' ', '_')}_wall_vs_{key}"] = round(
                        rows[name]["wall_s"] / rows[ref]["wall_s"], 3)
    for tree in trees:
        # this tree against the other, command for command: wall and CPU
        for here, there in (("portlens analyze", f"analyze @{os.path.basename(tree)}"),
                            ("portlens analyze --jobs 2", f"analyze --jobs 2 @{os.path.basename(tree)}")):
            if there not in rows:
                continue
            tag = here.replace("portlens ", "").replace(" ", "_")
            ratios[f"{tag}_wall_vs_@{os.path.basename(tree)}"] = round(rows[here]["wall_s"] / rows[there]["wall_s"], 3)
            ratios[f"{tag}_cpu_vs_@{os.path.basename(tree)}"] = round(rows[here]["cpu_s"] / rows[there]["cpu_s"], 3)

    print(f"\ncapture {cap}: {os.path.getsize(cap) / 2**20:.0f} MiB; "
          f"median of {args.repeat} runs each; CPU = user + system of all threads")
    print(f"{'command':28s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MiB':>13s} {'all procs RSS':>14s} "
          f"{'all procs PSS':>14s}")
    for name in rows:
        r = rows[name]
        print(f"{name:28s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mib']:13.1f} "
              f"{r['peak_rss_all_mib']:14.1f} {r['peak_pss_all_mib']:14.1f}")
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
    verdict.append(f"--jobs 2 at most 0.55 x --jobs 1: "
                   f"{'yes' if ratios['analyze_jobs2_wall_vs_jobs1'] <= 0.55 else 'NO'}")
    if "suricata autofp" in rows:
        verdict.append(f"--jobs 2 at most 0.5 x Suricata autofp: "
                       f"{'yes' if ratios['analyze_jobs2_wall_vs_suricata_autofp'] <= 0.5 else 'NO'}")
    print("; ".join(verdict))
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} CPUs; other jobs on the machine make the ratios noisy)")

    out = {"capture": cap, "bytes": os.path.getsize(cap), "repeat": args.repeat, "page_cache": cache_line,
           "suricata_version": suri_ver, "cpus": os.cpu_count(), "results": rows, "ratios": ratios,
           "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "analyze.json"), "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    main()
