"""classifier.distributed on a Dask LocalCluster of two worker processes: the records
of a serial run, a summary that adds up, and a task whose worker is killed under it
run again elsewhere. Skipped where Dask distributed is not installed (it is the
optional extra `portlens[distributed]`)."""
import glob
import json
import os
import signal
import threading
import time

import importlib.util

import pytest

# Whether Dask distributed is there, asked without importing it (~0.2 s at collection in
# every xdist worker); the fixture below imports it.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="Dask distributed is not installed (pip install 'portlens[distributed]')")

from refdata import CORPUS_DIR  # noqa: E402

from classifier import cli  # noqa: E402
from classifier.distributed import analyze_files  # noqa: E402
from test_parallel import fragments_and_tunnels_pcap  # noqa: E402


@pytest.fixture(scope="module")
def client():
    import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def _serial(paths, tmp_path, capsys):
    out = str(tmp_path / "serial.jsonl")
    code = cli.main(["analyze", *paths, "-f", "jsonl", "-o", out, "-j", "1", "-q"])
    capsys.readouterr()
    assert code == 0
    with open(out) as fh:
        return [json.loads(x) for x in fh]


def _shards(out_dir, summary):
    recs = []
    for name in summary["shards"]:
        with open(os.path.join(out_dir, name)) as fh:
            recs += [json.loads(x) for x in fh]
    return recs


def _key(rec):
    return json.dumps(rec, sort_keys=True)


def test_a_folder_of_captures_gives_the_records_of_a_serial_run(tmp_path, client, capsys):
    """The corpus one task per capture, the capture of fragments and tunnels split into
    shards: the same records as `analyze --jobs 1`, and a summary that adds up."""
    mixed = fragments_and_tunnels_pcap(tmp_path / "mixed.pcap")
    corpus = os.path.join(CORPUS_DIR, "corpus")
    out_dir = str(tmp_path / "out")
    summary = analyze_files([corpus, mixed], client, out_dir, shard_min=os.path.getsize(mixed) // 2,
                            progress=lambda done, total: None)
    serial = _serial([corpus, mixed], tmp_path, capsys)
    shards = _shards(out_dir, summary)
    assert len(serial) > 300
    assert sorted(map(_key, shards)) == sorted(map(_key, serial))
    assert summary["format"] == "jsonl"
    on_disk = sorted(os.path.basename(p) for p in glob.glob(os.path.join(out_dir, "*.jsonl")))
    assert on_disk == sorted(summary["shards"])                       # no partial file left
    with open(os.path.join(out_dir, "summary.json")) as fh:
        assert json.load(fh)["totals"] == summary["totals"]
    by_path = {c["path"]: c for c in summary["captures"]}
    assert by_path[mixed]["shards"] == 2
    # The small captures in bundles (a few per thread), the mixed one in two tasks.
    assert 2 < len(summary["shards"]) < len(summary["captures"]) / 4
    assert summary["totals"]["records"] == len(serial)
    assert summary["totals"]["flows"] == len(serial)
    assert sum(by_path[mixed]["verdicts"].values()) == sum(1 for r in serial if r["capture"] == mixed)


def test_an_unreadable_capture_is_in_the_summary_not_retried(tmp_path, client):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture")
    summary = analyze_files([str(bad)], client, str(tmp_path / "out"), progress=lambda d, t: None)
    (only,) = summary["captures"]
    assert only["opened"] is False and "bad.pcap" in only["error"]
    assert summary["totals"]["unreadable"] == 1


def test_a_task_whose_worker_is_killed_is_run_again(tmp_path, client):
    """SIGKILL the worker process running the one task of a large capture: the nanny
    starts a new worker, the scheduler runs the task again, and the output is whole."""
    from test_cli_safety import many_flows_pcap
    big = str(many_flows_pcap(tmp_path / "big.pcap", 200_000))
    out_dir = str(tmp_path / "out")
    done = {}

    def run():
        try:
            done["summary"] = analyze_files([big], client, out_dir, shard_min=1 << 40,
                                            progress=lambda d, t: None)
        except BaseException as e:           # reported by the assertions below
            done["error"] = e

    t = threading.Thread(target=run)
    t.start()
    killed = None
    deadline = time.monotonic() + 120        # a bound on the wait, not a timing assertion
    while time.monotonic() < deadline and killed is None and t.is_alive():
        busy = [addr for addr, keys in client.processing().items() if keys]
        if busy:
            killed = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    t.join(300)
    assert killed is not None and "error" not in done, done
    (cap,) = done["summary"]["captures"]
    assert cap["records"] == 200_000 and cap["stats"]["packets"] == 200_000
    assert cap["pids"] != [killed]              # done by another worker process than the one killed
    with open(os.path.join(out_dir, cap["outputs"][0])) as fh:
        assert sum(1 for _ in fh) == 200_000
    assert not [p for p in os.listdir(out_dir) if ".part" in p]


def test_the_cli_runs_on_a_scheduler_and_wants_a_folder(tmp_path, client, capsys):
    address = client.scheduler.address
    out_dir = tmp_path / "out"
    demo = os.path.join(CORPUS_DIR, "corpus", "mismatch-ssh-on-443.pcap")
    code = cli.main(["analyze", "--scheduler", address, demo, "-o", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "1 records in 1 jsonl shards" in err
    assert json.loads((out_dir / "summary.json").read_text())["totals"]["verdicts"] == {"mismatch": 1}
    code = cli.main(["analyze", "--scheduler", address, demo])                # no -o
    assert code == 2 and "-o OUTDIR" in capsys.readouterr().err
    code = cli.main(["analyze", "--scheduler", address, demo, "-o", str(out_dir)])    # not empty
    assert code == 2 and "--force" in capsys.readouterr().err
