"""Shared fixture: a one-call way to turn frames into flows through the real fast path."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# A detector probe that raises is a bug: in normal runs the flow goes on to the other
# detectors and the summary counts it; under the tests (and the CLI subprocesses they
# start, which inherit this) the exception propagates and fails the test.
os.environ.setdefault("PORTLENS_STRICT_PROBES", "1")


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
