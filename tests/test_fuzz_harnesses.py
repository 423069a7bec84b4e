"""The fuzz harnesses of fuzz/ run over seeds made from pcaps/ and find nothing.

Each harness (capture reader + flow table, the whole pipeline with every output
format, every probe on raw payloads) fails on any exception other than the expected
CaptureError, a probe's exception, a read-path mismatch, a malformed output or a
fatal signal. Two ways of running them:

- the default run replays each harness's `TestOneInput` without atheris
  (fuzz/replay.py): every seed, then REPLAY_MUTATIONS inputs mutated from the seeds
  with a fixed random seed, about 1.5-2.5 s of CPU per harness;
- the coverage-guided runs, plain atheris over this checkout's normal build with
  Python coverage guiding the mutations, 15,000 / 4,000 / 30,000 executions
  (THOROUGH_RUNS), run in the thorough run (`PORTLENS_TESTS=thorough`, the second step
  of .ci/run); instrumenting the package alone costs ~3.5 s of CPU per harness, which
  the default run no longer pays. The long run (sanitizer build, minutes per harness)
  is `fuzz/run.sh`, see fuzz/README.md.

The reproducers in fuzz/crashes/ run through their harness (its atheris entry point)
in both: those of bugs still open (fuzz/_harness.py KNOWN_BUGS) must still crash
(strict xfail: a fix makes the test say so, and the entry goes), every other one must
run clean (a regression test).

The atheris tests skip, with the reason, where atheris is not installed (`pip install
atheris`, in the dev extra); the replay needs no atheris.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, "fuzz")
sys.path.insert(0, FUZZ)

try:
    import atheris  # noqa: F401
except ImportError:
    atheris = None

needs_atheris = pytest.mark.skipif(atheris is None, reason="atheris is not installed (pip install atheris)")

import thorough  # noqa: E402

# The default run replays every seed (make_seeds --per-protocol 1 writes ~2,460 reader,
# ~165 pipeline and ~170 probes seeds) and REPLAY_MUTATIONS mutated inputs through each
# harness without atheris. The coverage-guided atheris runs execute THOROUGH_RUNS
# (libFuzzer counts the seeds' too), 30-45 s per harness on one core: thorough run
# only (.ci/run's second step).
REPLAY_MUTATIONS = {"reader": 1000, "pipeline": 400, "probes": 3000}
THOROUGH_RUNS = {"reader": 15000, "pipeline": 4000, "probes": 30000}
thorough_only = thorough.only("coverage-guided atheris run",
                              "the default run replays the harness (test_harness_replay_finds_nothing)")


MAX_LEN = {"reader": 65536, "pipeline": 65536, "probes": 4096}


def harness_env(allow_known):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT                # this checkout's build, whatever is installed
    env["PORTLENS_STRICT_PROBES"] = "1"
    env.pop("PORTLENS_FUZZ_ALLOW_KNOWN", None)
    if allow_known:
        env["PORTLENS_FUZZ_ALLOW_KNOWN"] = "1"
    env.pop("LD_PRELOAD", None)
    return env


def run_harness(name, args, allow_known, timeout=300):
    return subprocess.run([sys.executable, os.path.join(FUZZ, f"fuzz_{name}.py")] + args,
                          env=harness_env(allow_known), cwd=ROOT, capture_output=True,
                          text=True, errors="replace", timeout=timeout)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds")
    r = subprocess.run([sys.executable, os.path.join(FUZZ, "make_seeds.py"), "--out", str(out),
                        "--per-protocol", "1"], env=harness_env(False), cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in THOROUGH_RUNS:
        assert len(os.listdir(out / name)) >= 20, f"too few {name} seeds: {r.stdout}"
    return out


@pytest.mark.parametrize("name", sorted(THOROUGH_RUNS))
def test_harness_replay_finds_nothing(name, seeds, tmp_path):
    """Every seed, then the mutated inputs, through the harness's TestOneInput (no atheris)."""
    artifacts = tmp_path / "artifacts"
    r = subprocess.run([sys.executable, os.path.join(FUZZ, "replay.py"), name, str(seeds / name),
                        f"--mutations={REPLAY_MUTATIONS[name]}", "--seed=1",
                        f"--max-len={MAX_LEN[name]}", f"--artifacts={artifacts}"],
                       env=harness_env(True), cwd=ROOT, capture_output=True, text=True,
                       errors="replace", timeout=300)
    tail = "\n".join((r.stdout + r.stderr).splitlines()[-40:])
    assert r.returncode == 0, f"fuzz/replay.py {name} exited {r.returncode}:\n{tail}"
    assert not os.listdir(artifacts), f"fuzz/replay.py {name} left {os.listdir(artifacts)}:\n{tail}"
    n_seeds = len(os.listdir(seeds / name))
    assert (f"{n_seeds + REPLAY_MUTATIONS[name]} inputs ({n_seeds} files, "
            f"{REPLAY_MUTATIONS[name]} mutations), no failure") in r.stdout, tail
    assert f"fuzzing {os.path.join(ROOT, 'classifier')}" in r.stderr, tail


def test_replay_fails_on_an_exception_and_keeps_the_input(tmp_path):
    """The replay is a test only if it can fail: a TestOneInput that raises on one
    mutated input makes it exit 1, name the input and write it out."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "one").write_bytes(b"\x00" * 32)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import _harness\n"
            "_harness.REPLAY = True\n"
            "import replay, fuzz_probes\n"
            "real = fuzz_probes.TestOneInput\n"
            "def boom(data):\n"
            "    real(data)\n"
            "    if data != b'\\x00' * 32: raise ValueError('planted')\n"
            "fuzz_probes.TestOneInput = boom\n"
            "sys.exit(replay.main(sys.argv[2:]))\n")
    art = tmp_path / "art"
    r = subprocess.run([sys.executable, "-c", code, FUZZ, "probes", str(tmp_path / "seeds"),
                        "--mutations=5", f"--artifacts={art}"], env=harness_env(False), cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "failed on mutation 0 (seed 1)" in r.stderr and "ValueError: planted" in r.stderr, r.stderr
    crashes = [f for f in os.listdir(art) if f.startswith("crash-")]
    assert len(crashes) == 1 and (art / crashes[0]).read_bytes() != b"\x00" * 32, os.listdir(art)


@needs_atheris
@thorough_only
@pytest.mark.parametrize("name", sorted(THOROUGH_RUNS))
def test_harness_short_run_finds_nothing(name, seeds, tmp_path):
    n = THOROUGH_RUNS[name]
    corpus, artifacts = tmp_path / "corpus", tmp_path / "artifacts"
    corpus.mkdir()
    artifacts.mkdir()
    # New inputs go to the first directory (a scratch one); the seeds are only read.
    r = run_harness(name, [str(corpus), str(seeds / name), f"-runs={n}",
                           f"-max_len={MAX_LEN[name]}", "-timeout=60", "-seed=1",
                           # libFuzzer reads its RSS from getrusage, whose peak Linux keeps
                           # across fork+exec: a test process grown to 4 GB made every
                           # harness "out of memory" at its first input. The long runs
                           # (fuzz/run.sh) keep libFuzzer's 2 GB limit.
                           "-rss_limit_mb=0",
                           f"-artifact_prefix={artifacts}/"], allow_known=True)
    tail = "\n".join((r.stdout + r.stderr).splitlines()[-40:])
    assert r.returncode == 0, f"fuzz_{name} exited {r.returncode}:\n{tail}"
    assert not os.listdir(artifacts), f"fuzz_{name} wrote {os.listdir(artifacts)}:\n{tail}"
    assert f"Done {n} runs" in r.stderr, tail
    assert f"fuzzing {os.path.join(ROOT, 'classifier')}" in r.stderr, tail


def _reproducers():
    import _harness
    known = {repro: name for name, (_m, repro) in _harness.KNOWN_BUGS.items()}
    crashes = os.path.join(FUZZ, "crashes")
    for f in sorted(os.listdir(crashes)) if os.path.isdir(crashes) else ():
        marks = ()
        if f in known:
            marks = pytest.mark.xfail(strict=True, reason=f"open bug {known[f]} (fuzz/_harness.py "
                                                          "KNOWN_BUGS); passes once fixed")
        yield pytest.param(f, marks=marks, id=f)


@needs_atheris
@pytest.mark.parametrize("repro", list(_reproducers()))
def test_crash_reproducer(repro, tmp_path):
    harness = repro.split("-", 1)[0]
    assert harness in THOROUGH_RUNS, f"fuzz/crashes/{repro}: name it <reader|pipeline|probes>-<what>"
    r = run_harness(harness, [os.path.join(FUZZ, "crashes", repro), f"-artifact_prefix={tmp_path}/", "-rss_limit_mb=0"],
                    allow_known=False, timeout=120)
    tail = "\n".join((r.stdout + r.stderr).splitlines()[-30:])
    assert r.returncode == 0, f"fuzz_{harness} crashes on fuzz/crashes/{repro}:\n{tail}"


def test_every_known_bug_has_its_reproducer():
    import _harness
    for name, (_match, repro) in _harness.KNOWN_BUGS.items():
        path = os.path.join(FUZZ, "crashes", repro)
        assert os.path.isfile(path), f"{name}: no reproducer {path}"
        assert os.path.getsize(path) < 4096, f"{name}: reproducer {path} is not small"
