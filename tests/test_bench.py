"""The benchmarks in a clone without ../shared (their capture is made from it): one line
saying what they need, a non-zero exit, no traceback."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = ["run.py", "analyze.py", "ml.py", "fastpath.py", "flood.py", "stream.py", "dask_cluster.py",
           "live.py", "partial.py", "probes.py"]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """top/repo/bench/ with the benchmark scripts and nothing beside repo/: no ../shared."""
    top = tmp_path_factory.mktemp("benchclone")
    bench = top / "repo" / "bench"
    bench.mkdir(parents=True)
    for f in os.listdir(os.path.join(ROOT, "bench")):
        if f.endswith(".py"):
            shutil.copy(os.path.join(ROOT, "bench", f), bench / f)
    assert not (top / "shared").exists()
    return top


def _run(clone, script, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)           # the classifier package of this checkout
    return subprocess.run([sys.executable, str(clone / "repo" / "bench" / script), *args], cwd=clone,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", ["run.py", "analyze.py", "ml.py"])
def test_without_shared_one_line_says_what_is_needed(clone, script):
    p = _run(clone, script)
    err = p.stderr.strip()
    assert p.returncode != 0 and p.stdout == ""
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith(f"bench/{script}: needs the capture ") and "bench.pcap" in err, err
    assert "make_bench_pcap.py" in err and "is absent here" in err and "--capture PATH" in err, err


def test_fastpath_bench_usage_and_missing_capture(clone):
    p = _run(clone, "fastpath.py")
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert p.stderr.strip().startswith("usage: python bench/fastpath.py CAPTURE") and len(p.stderr.strip().splitlines()) == 1
    p = _run(clone, "fastpath.py", str(clone / "nothing.pcap"))
    assert p.returncode != 0 and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "nothing.pcap, which is missing" in p.stderr


def test_every_benchmark_script_is_covered():
    mains = {f for f in os.listdir(os.path.join(ROOT, "bench"))
             if f.endswith(".py") and "__main__" in open(os.path.join(ROOT, "bench", f)).read()}
    assert mains == set(SCRIPTS)


def test_flood_bench_needs_nothing_from_shared(clone):
    """flood.py makes its own captures (floodgen.py): it runs without ../shared; a bad
    --only is one line and a non-zero exit."""
    p = _run(clone, "flood.py", "--help")
    assert p.returncode == 0 and "--scale" in p.stdout
    p = _run(clone, "flood.py", "--only", "nosuch")
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert p.stderr.strip() == "flood.py: unknown flood(s) nosuch; choose from syn, udp, frag, ooo, one"


def test_stream_bench_says_what_it_needs(clone):
    """stream.py's rss mode builds its packets in memory; throughput needs a capture
    and says so in one line when it is missing."""
    p = _run(clone, "stream.py", "throughput", str(clone / "nothing.pcap"))
    assert p.returncode == 2 and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert p.stderr.startswith("bench/stream.py: needs the capture ") and "nothing.pcap" in p.stderr


def test_dask_bench_says_what_is_missing_in_one_line(clone):
    """In a clone without pcaps/ (and without ../shared): one line naming the folder."""
    p = _run(clone, "dask_cluster.py", "--help")
    assert p.returncode == 0 and "--repeat" in p.stdout
    p = _run(clone, "dask_cluster.py")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().startswith("bench/dask_cluster.py: no such folder: ") and \
        len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_live_bench_says_what_it_needs(clone):
    """live.py replays a capture between network namespaces (root): without the capture,
    one line saying what is missing."""
    p = _run(clone, "live.py", "--help")
    assert p.returncode == 0 and "--rates" in p.stdout
    p = _run(clone, "live.py", "--capture", str(clone / "nothing.pcap"))
    assert p.returncode != 0 and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "nothing.pcap" in p.stderr


def test_partial_bench_says_what_it_needs_in_one_line(clone):
    """In a clone without pcaps/ and ../shared: one line naming both, a non-zero exit."""
    p = _run(clone, "partial.py")
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("bench/partial.py: needs captures")


def test_probes_bench_says_what_it_lacks(clone):
    """probes.py in a clone with no captures at all, or given a missing one: one line."""
    p = _run(clone, "probes.py")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip() == ("bench/probes.py: no captures: none given, and neither pcaps/ "
                                "nor ../shared/ndpi-dev is here")
    p = _run(clone, "probes.py", str(clone / "nothing.pcap"))
    assert p.returncode == 2 and p.stderr.strip().endswith("nothing.pcap: no such file")


def test_probes_bench_counts_probe_calls():
    pcap = os.path.join(ROOT, "pcaps", "corpus", "dns-1.pcap")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "probes.py"), pcap],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    row = p.stdout.splitlines()[2].split()
    assert row[0] == "given" and int(row[1]) >= 1 and float(row[3]) >= 1.0 and "dns" in row[4:]
