"""Shared fixture: a one-call way to turn frames into flows through the real fast path."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# A detector probe that raises is a bug: in normal runs the flow goes on to the other
# detectors and the summary counts it; under the tests (and the CLI subprocesses they
# start, which inherit this) the exception propagates and fails the test.
os.environ.setdefault("PORTLENS_STRICT_PROBES", "1")

# Bytecode caches on, for this run and the processes it starts: where the environment
# sets PYTHONDONTWRITEBYTECODE (container images often do), each of the suite's few
# hundred command-line runs compiled the whole package from source again, and pytest
# rewrote every test module's asserts again on each run and in each worker.  The
# __pycache__ folders this writes are git-ignored; the packaging test still builds and
# runs with bytecode writing off (tests/test_packaging.py).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_addoption(parser):
    parser.addoption("--regen-goldens", action="store_true", default=False,
                     help="rewrite pcaps/expected/ from the product's output (tests/goldens.py), "
                          "then review the diff")
    parser.addoption("--regen-probe-answers", action="store_true", default=False,
                     help="rewrite tests/detectors/data/probe_answers/ from the compiled probes' "
                          "answers (tests/detectors/probe_answers.py), then review the diff")


@pytest.fixture
def flows_of(tmp_path):
    """flows_of(frames, linktype=1, **config) -> (flows, reader) for (ts, frame) pairs."""
    from pcapgen import write_pcap
    from classifier.flows import FlowConfig, FlowReader
    counter = {"n": 0}

    def run(frames, linktype=1, **config):
        counter["n"] += 1
        path = tmp_path / f"t{counter['n']}.pcap"
        write_pcap(path, frames, linktype=linktype)
        reader = FlowReader(str(path), FlowConfig(**config))
        return list(reader), reader
    return run


# `pytest` runs on every core (pytest-xdist: -n auto --dist loadfile --no-loadscope-reorder
# in pyproject.toml; auto is one worker more than the cores, below): each file goes whole
# to one worker, in collection order.  The files that take longest
# (the live captures' timed runs, the wheel build of the thorough step, the fuzz
# harnesses, the command-line runs) start first, so that neither worker is left running one of them alone at the
# end.  Within a file the order is unchanged.
SLOW_FILES_FIRST = ("test_live.py", "test_packaging.py", "test_fuzz_harnesses.py", "test_api.py",
                    "test_gates.py", "test_cli_safety.py", "test_parallel.py", "test_ml_train.py",
                    "test_realistic_gen.py", "test_distributed.py", "test_cli.py", "test_bad_input.py")


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject's pytest options): one worker more than the cores this
    process may run on. The live-capture tests (tests/test_live.py) spend ~30 s of wall
    on ~8 s of CPU, waiting on timed captures and subprocess starts, and the realistic
    generation waits on its impaired link: with one worker per core, a core idles
    while they wait. The extra worker costs one more collection (~1.5 s of CPU)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores + 1


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
