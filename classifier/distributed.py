"""Many hosts: the analyze pipeline as Dask distributed tasks (`pip install 'portlens[distributed]'`).

    from dask.distributed import Client
    from classifier.distributed import analyze_files
    summary = analyze_files(["/data/caps/"], Client("tcp://scheduler:8786"), "/data/out")

    portlens analyze --scheduler tcp://scheduler:8786 /data/caps/ -o /data/out

Dask schedules; portlens only cuts the work and runs the same pipeline in each task:
one task per (capture, shard) for a capture of at least `shard_min` bytes (the
shards of classifier.parallel: each task reads the whole file and keeps the flows
whose address pair falls in its shard), and one task per bundle of smaller captures
(up to `TASK_BYTES`: a task costs the scheduler milliseconds whatever its size). A
task writes its records as one JSON-lines file, `OUTDIR/TTTTT-NAME[+M].KofN.jsonl`
(written beside it and renamed, so a task run twice leaves one whole file; each
record's `capture` field names its capture), and returns the statistics; the
client writes `OUTDIR/summary.json` (per capture: statistics merged as --jobs merges
them, verdict counts, errors) at the end. Shards are jsonl because the Parquet writer
is not in portlens yet; the summary says which format the shards are in.

Where the captures are: a task opens its path on the worker that runs it, so every
worker must reach every path, under the same name: shared storage (NFS, CephFS, a
bucket mounted with the same path everywhere), or worker-local files with the tasks
pinned to the host holding them (`workers={path: address}`). Directories and glob
patterns are expanded where this function runs, so that host must see them too
(on worker-local data, give the file paths). OUTDIR is written by the workers: it
must be shared storage as well, or each host's local folder collected afterwards.

Failures: a task that raises (an NFS hiccup, a worker out of memory) is retried
`retries` times; a task whose worker dies under it (killed, OOM-killed, host lost) is
rescheduled on another worker by Dask itself (up to its
`distributed.scheduler.allowed-failures`, default 3). A capture that cannot be read
is not a failure to retry: its error is in the summary, as the CLI reports it.
"""
from __future__ import annotations

import glob
import json
import math
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

from .parallel import SHARD_MIN_BYTES, _is_gzip, merge_stats

SHARD_FORMAT = "jsonl"


def _require_dask():
    try:
        import distributed  # noqa: F401
    except ImportError:
        from .errors import UsageError
        raise UsageError("--scheduler needs Dask distributed: pip install 'portlens[distributed]'") from None
    return distributed


_ANALYZERS: Dict[str, Any] = {}


def _analyzer(options: Dict[str, Any]):
    """One Analyzer per worker process and options, kept between tasks as the CLI keeps
    one between captures (flush() leaves it clean): loading the model every task
    cost more than analysing a small capture."""
    from .pipeline import Analyzer
    key = json.dumps([options.get("ml", "fallback"), options.get("model"), list(options.get("site_ports", ()))])
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        analyzer = _ANALYZERS[key] = Analyzer.from_options(
            ml=options.get("ml", "fallback"), model=options.get("model"), site_ports=options.get("site_ports", ()))
    return analyzer


def analyze_task(items, out_path: str, options: Dict[str, Any]) -> Dict[str, Any]:
    """One task, run on a worker: the analyze pipeline over `items`, [(index, path,
    (k, n))] -- one shard of a large capture, or several small captures whole -- every
    record to the one file `out_path` (jsonl, renamed into place when whole; each
    record's `capture` says where it is from). Returns, per item, its statistics,
    verdict counts, records written and error (None, or why the capture could not be
    read or where it was damaged)."""
    from collections import Counter
    from .errors import CaptureError
    from .flows import ANALYZE_BATCH, FlowConfig, FlowReader
    from .output.jsonl import JsonlWriter
    analyzer = _analyzer(options)
    size, payload = ANALYZE_BATCH
    # An earlier attempt of this task on a worker that died (SIGKILL, OOM) left its
    # partial file: this attempt replaces it.
    for stale in glob.glob(glob.escape(out_path) + ".part-*"):
        try:
            os.unlink(stale)
        except OSError:
            pass
    tmp = f"{out_path}.part-{os.uname().nodename}-{os.getpid()}"
    done = []
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            writer = JsonlWriter(fh)
            for index, path, shard in items:
                res: Dict[str, Any] = {"index": index, "path": path, "shard": list(shard), "records": 0,
                                       "verdicts": {}, "stats": {}, "error": None, "opened": False}
                done.append(res)
                config = FlowConfig(**options.get("config", {}), shard=tuple(shard))
                try:
                    reader = FlowReader(path, config, size, batch_payload=payload)
                except CaptureError as e:
                    res["error"] = str(e)
                    continue
                verdicts: Counter = Counter()
                for batch in reader.batches():
                    recs = analyzer.push(batch)
                    verdicts.update(rec["verdict"] for rec in recs)
                    writer.write_many(recs)
                    res["records"] += len(recs)
                recs = analyzer.flush()
                verdicts.update(rec["verdict"] for rec in recs)
                writer.write_many(recs)
                res["records"] += len(recs)
                res.update(opened=True, stats=reader.stats, error=reader.error, verdicts=dict(verdicts),
                           probe_errors=analyzer.take_probe_errors())
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {"out": out_path, "items": done, "host": os.uname().nodename, "pid": os.getpid()}


# Small captures are bundled into tasks of about this many bytes at most (fewer when
# the job is small, so that every thread of the cluster gets several tasks): a task
# costs the scheduler a few milliseconds however small, more than a small capture.
TASK_BYTES = 256 << 20


def plan_tasks(paths: Sequence[str], nworkers: int, shard_min: Optional[int] = None,
               task_bytes: Optional[int] = None):
    """(captures, tasks): captures [(index, path, problem, n)], each capture with the
    number of shards it is cut into -- 1 below `shard_min` bytes (or gzip), else one
    per `shard_min` bytes, at most `nworkers` (the cluster's threads); tasks
    [[(index, path, (k, n)), ...]]: a shard alone, or small captures together up to
    about `task_bytes` (at most a quarter of each thread's share of them)."""
    from .options import expand_inputs
    shard_min = SHARD_MIN_BYTES if shard_min is None else shard_min
    captures, sizes = [], {}
    for i, (path, problem) in enumerate(expand_inputs(list(paths))):
        n = 1
        if not problem:
            try:
                sizes[i] = size = os.path.getsize(path)
            except OSError:
                sizes[i] = size = 0
            if shard_min == 0:
                n = max(1, nworkers)
            elif size >= shard_min and not _is_gzip(path):
                n = max(1, min(nworkers, math.ceil(size / shard_min)))
        captures.append((i, path, problem, n))
    small = sum(sizes[i] for i, _, problem, n in captures if not problem and n == 1)
    limit = TASK_BYTES if task_bytes is None else task_bytes
    limit = max(1, min(limit, small // max(1, 4 * nworkers)))
    tasks, bundle, held = [], [], 0
    for i, path, problem, n in captures:
        if problem:
            continue
        if n > 1:
            tasks += [[(i, path, (k, n))] for k in range(n)]
            continue
        bundle.append((i, path, (0, 1)))
        held += max(sizes[i], 1)
        if held >= limit:
            tasks.append(bundle)
            bundle, held = [], 0
    if bundle:
        tasks.append(bundle)
    return captures, tasks


def _task_name(t: int, items) -> str:
    i, path, (k, n) = items[0]
    base = os.path.basename(path) or "stdin"
    more = f"+{len(items) - 1}" if len(items) > 1 else ""
    return f"{t:05d}-{base}{more}.{k}of{n}.{SHARD_FORMAT}"


def analyze_files(paths: Sequence[str], client, out_dir: str, *, ml: str = "fallback",
                  model: Optional[str] = None, site_ports: Sequence[str] = (), config=None,
                  shard_min: Optional[int] = None, task_bytes: Optional[int] = None, retries: int = 2,
                  progress=None) -> Dict[str, Any]:
    """Analyze `paths` (captures, directories, glob patterns) on the Dask cluster of
    `client`; one jsonl file per task in `out_dir`, and `out_dir/summary.json`.
    Returns the summary: {"captures": [...], "totals": {...}, "shards": [...],
    "format": "jsonl"}. `progress(done, total)` is called as tasks finish (default:
    a line on stderr every tenth of the work)."""
    distributed = _require_dask()
    import dataclasses
    os.makedirs(out_dir, exist_ok=True)
    options = {"ml": ml, "model": model, "site_ports": list(site_ports),
               "config": {k: v for k, v in dataclasses.asdict(config).items() if k != "shard"} if config else {}}
    nthreads = sum(client.nthreads().values()) or 1
    captures, tasks = plan_tasks(paths, nthreads, shard_min, task_bytes)
    futures = {}
    for t, items in enumerate(tasks):
        out = os.path.join(out_dir, _task_name(t, items))
        fut = client.submit(analyze_task, items, out, options, retries=retries, pure=False,
                            key=f"portlens-analyze-{os.path.basename(out)}")
        futures[fut] = t
    total, done = len(futures), 0
    if progress is None:
        step = max(1, total // 10)

        def progress(done, total):
            if done == total or done % step == 0:
                sys.stderr.write(f"portlens: {done}/{total} tasks done\n")
    results = []
    for fut in distributed.as_completed(list(futures)):
        results.append(fut.result())            # a task that failed after its retries raises here
        done += 1
        progress(done, total)
    return _summarize(captures, results, out_dir)


def _summarize(captures, results, out_dir: str) -> Dict[str, Any]:
    parts_of: Dict[int, List[Dict[str, Any]]] = {}
    for res in results:
        for item in res["items"]:
            item = dict(item, out=os.path.basename(res["out"]), host=res["host"], pid=res["pid"])
            parts_of.setdefault(item["index"], []).append(item)
    out: List[Dict[str, Any]] = []
    totals = {"captures": 0, "unreadable": 0, "packets": 0, "flows": 0, "records": 0, "verdicts": {}}
    for i, path, problem, n in captures:
        if problem:
            out.append({"path": path, "error": problem, "opened": False})
            totals["unreadable"] += 1
            continue
        parts = sorted(parts_of[i], key=lambda p: p["shard"][0])
        if not all(p["opened"] for p in parts):
            out.append({"path": path, "error": next(p["error"] for p in parts if not p["opened"]),
                        "opened": False})
            totals["unreadable"] += 1
            continue
        stats = merge_stats([p["stats"] for p in parts])
        verdicts: Dict[str, int] = {}
        for p in parts:
            for v, c in p["verdicts"].items():
                verdicts[v] = verdicts.get(v, 0) + c
                totals["verdicts"][v] = totals["verdicts"].get(v, 0) + c
        records = sum(p["records"] for p in parts)
        out.append({"path": path, "shards": n, "stats": stats, "verdicts": verdicts, "records": records,
                    "error": next((p["error"] for p in parts if p["error"]), None), "opened": True,
                    "outputs": [p["out"] for p in parts], "hosts": sorted({p["host"] for p in parts}),
                    "pids": [p["pid"] for p in parts]})
        totals["captures"] += 1
        totals["packets"] += stats.get("packets", 0)
        totals["flows"] += stats.get("flows", 0)
        totals["records"] += records
    summary = {"format": SHARD_FORMAT, "captures": out, "totals": totals,
               "shards": sorted(os.path.basename(r["out"]) for r in results)}
    tmp = os.path.join(out_dir, ".summary.json.part")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1, default=str)
        fh.write("\n")
    os.replace(tmp, os.path.join(out_dir, "summary.json"))
    return summary


def cmd_analyze(args) -> int:
    """`portlens analyze --scheduler ADDRESS PATHS... -o OUTDIR`."""
    from .errors import UsageError
    distributed = _require_dask()
    if not args.output or args.output == "-":
        raise UsageError("--scheduler writes one file per task: give the output folder with -o OUTDIR")
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"-o {args.output}: with --scheduler the output is a folder, and this is a file")
    if os.path.isdir(args.output) and os.listdir(args.output) and not args.force:
        raise UsageError(f"-o {args.output}: the folder is not empty (--force writes into it)")
    from .options import flow_config as _config
    client = distributed.Client(args.scheduler)
    try:
        summary = analyze_files(args.files, client, args.output, ml=getattr(args, "ml", "fallback"),
                                model=getattr(args, "model", None), site_ports=args.site_ports,
                                config=_config(args),
                                progress=None if not args.quiet else (lambda d, t: None))
    finally:
        client.close()
    t = summary["totals"]
    if not args.quiet:
        sys.stderr.write(f"portlens: {t['captures']} captures, {t['packets']} packets, {t['flows']} flows, "
                         f"{t['records']} records in {len(summary['shards'])} {SHARD_FORMAT} shards and "
                         f"summary.json in {args.output}; verdicts: "
                         + ", ".join(f"{n} {v}" for v, n in sorted(t["verdicts"].items())) + "\n")
    for c in summary["captures"]:
        if c.get("error"):
            sys.stderr.write(f"portlens: error: {c['path']}: {c['error']}\n")
    return 3 if any(c.get("error") for c in summary["captures"]) else 0
