"""Shared test helpers: where the optional reference material is, and a one-call way
to turn frames into flows through the real fast path."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
NDPI_DIR = os.path.join(SHARED, "ndpi-dev")
NDPI_PCAPS = os.path.join(NDPI_DIR, "pcaps")
CORPUS_DIR = os.path.join(ROOT, "pcaps")

sys.path.insert(0, HERE)

needs_ndpi = pytest.mark.skipif(not os.path.isdir(NDPI_PCAPS),
                                reason="../shared/ndpi-dev is absent (a user's clone has none)")


def capture_files(top):
    out = []
    for dirpath, _dirs, files in os.walk(top):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".cap", ".pcap.gz")):
                out.append(os.path.join(dirpath, f))
    return sorted(out)


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
