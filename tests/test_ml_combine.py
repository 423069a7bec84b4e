"""The model beside the detectors: the combination rule, the modes, the command-line
options, and the stage run exactly as the analysis pipeline runs it:

    recs = batch_records(batch); apply_dpi(recs, batch); stage.apply(recs, batch)
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import pytest

from classifier.errors import PortlensError
from classifier.flows import FlowReader
from classifier.ml import features
from classifier.ml.cli import add_ml_options
from classifier.ml.combine import MLStage, combine, runs_on
from classifier.ml.model import ModelError, load
from classifier.pipeline import apply_dpi
from classifier.schema import SOURCES, batch_records
from classifier.ml.data import TRAINING_LIST, read_capture_list, split_capture_list
from refdata import CORPUS_DIR

# The shipped model's training captures (models/training-captures.txt): a capture added
# for a new detector, of a protocol the model has no class for, does not move the figures.
CAPTURES = sorted(os.path.join(CORPUS_DIR, "corpus", c) for c in split_capture_list(read_capture_list(TRAINING_LIST))[0])


def rec(protocol="unknown", source="none", confidence=None, metadata=None):
    return {"protocol": protocol, "source": source, "confidence": confidence, "metadata": metadata or {}}


@pytest.mark.parametrize("before,ml,after_protocol,after_source,disagree", [
    (("tls", "dpi"), "tls", "tls", "dpi+ml", None),           # both say tls
    (("tls", "dpi"), "ssh", "tls", "dpi", "ssh"),             # detectors win; the other opinion is shown
    (("tls", "dpi"), "unknown", "tls", "dpi", None),          # the model abstains: nothing to show
    (("unknown", "none"), "dns", "dns", "ml", None),          # the model fills in
    (("unknown", "none"), "unknown", "unknown", "none", None),
])
def test_rule(before, ml, after_protocol, after_source, disagree):
    r = rec(*before, confidence=0.9 if before[1] == "dpi" else None)
    combine(r, ml, 0.77)
    assert r["ml"] == {"protocol": ml, "probability": 0.77}
    assert (r["protocol"], r["source"]) == (after_protocol, after_source)
    assert r["metadata"].get("ml_disagrees") == disagree
    assert r["confidence"] == (0.77 if after_source == "ml" else 0.9 if before[1] == "dpi" else None)


class FakeModel:
    """Says `answer` for every flow, and records how many flows it was asked about."""
    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    def predict(self, X):
        assert X.dtype == np.float32 and X.shape[1] == features.N_FEATURES
        self.asked.append(len(X))
        return np.full(len(X), self.answer, dtype=object), np.full(len(X), 0.8, np.float32)


def _labelled(path):
    batch = next(FlowReader(path).batches())
    recs = batch_records(batch)
    apply_dpi(recs, batch)
    return batch, recs


def test_fallback_runs_only_where_the_detectors_were_silent():
    batch, recs = _labelled(os.path.join(CORPUS_DIR, "corpus", "tftp-1.pcap"))
    assert any(r["protocol"] != "unknown" for r in recs)
    fake = FakeModel("redis")
    MLStage(fake, "fallback").apply(recs, batch)
    silent = [r for r in recs if r["source"] in ("ml",)]
    assert sum(fake.asked) == len(silent)
    for r in recs:
        if r["source"] == "dpi":
            assert r["ml"] is None                        # not run: the detectors spoke


def test_all_runs_everywhere_with_payload():
    batch, recs = _labelled(os.path.join(CORPUS_DIR, "corpus", "tftp-1.pcap"))
    fake = FakeModel("redis")
    MLStage(fake, "all").apply(recs, batch)
    assert sum(fake.asked) == int(runs_on(batch.records).sum()) > 0
    for r in recs:
        if r["ml"] is not None and r["source"] == "dpi":
            assert r["metadata"]["ml_disagrees"] == "redis"


def test_flows_without_payload_are_not_run(flows_of):
    from pcapgen import eth_wrap, tcp, ipv4
    frames = eth_wrap([(1.0, ipv4("10.0.0.1", "10.0.0.2", tcp(1234, 80, "S"))),
                       (1.1, ipv4("10.0.0.2", "10.0.0.1", tcp(80, 1234, "SA")))])
    flows, reader = flows_of(frames)
    batch = flows[0]._batch
    recs = batch_records(batch)
    apply_dpi(recs, batch)
    fake = FakeModel("http")
    MLStage(fake, "all").apply(recs, batch)
    assert fake.asked == [] and recs[0]["ml"] is None and recs[0]["source"] == "none"


def test_pipeline_contract_on_the_corpus():
    """The shipped model, mode all, over corpus captures exactly as the Analyzer calls it."""
    stage = MLStage(load(), "all")
    seen = {"dpi+ml": 0, "dpi": 0, "ml": 0, "none": 0}
    for path in CAPTURES[::3]:
        for batch in FlowReader(path).batches():
            recs = batch_records(batch)
            apply_dpi(recs, batch)
            before = [(r["protocol"], r["source"]) for r in recs]
            stage.apply(recs, batch)
            for r, (p0, s0) in zip(recs, before):
                assert r["source"] in SOURCES
                seen[r["source"]] += 1
                if s0 == "dpi":
                    assert r["protocol"] == p0             # the model never overrides the detectors
                ml = r["ml"]
                assert ml is None or (set(ml) == {"protocol", "probability"} and 0 <= ml["probability"] <= 1)
                if r["source"] == "dpi+ml":
                    assert ml["protocol"] == r["protocol"]
                if r["source"] == "dpi" and ml and ml["protocol"] not in ("unknown", r["protocol"]):
                    assert r["metadata"]["ml_disagrees"] == ml["protocol"]
    assert seen["dpi+ml"] > 0.8 * (seen["dpi+ml"] + seen["dpi"])


def test_options_and_from_args(tmp_path):
    p = argparse.ArgumentParser()
    add_ml_options(p)
    a = p.parse_args([])
    assert (a.ml, a.model) == ("fallback", None)
    with pytest.raises(SystemExit):
        p.parse_args(["--ml", "sometimes"])
    assert MLStage.from_args(p.parse_args(["--ml", "off"])) is None
    stage = MLStage.from_args(p.parse_args(["--ml", "all"]))
    assert stage.mode == "all" and stage.model.classes
    with pytest.raises(ModelError) as e:
        MLStage.from_args(p.parse_args(["--model", str(tmp_path / "none")]))
    assert isinstance(e.value, PortlensError) and "\n" not in str(e.value) and str(tmp_path) in str(e.value)


def test_a_lone_packet_is_not_asked(flows_of):
    """One datagram (or one segment) is left to the detectors: the model is not run
    on it (ml None), while the same datagram followed by a second one is."""
    from pcapgen import eth_wrap, ipv4, udp
    from classifier.pipeline import Analyzer
    one = [(1.0, ipv4("10.0.0.1", "10.0.0.2", udp(5000, 6000, bytes(range(40)))))]
    two = one + [(1.1, ipv4("10.0.0.1", "10.0.0.2", udp(5000, 6000, bytes(range(40, 80)))))]
    for frames, asked in ((one, 0), (two, 1)):
        _, reader = flows_of(eth_wrap(frames))
        batch = next(FlowReader(reader.path).batches())
        recs = Analyzer(dpi=True, verdicts=False).label(batch)
        fake = FakeModel("redis")
        MLStage(fake, "fallback").apply(recs, batch)
        assert sum(fake.asked) == asked
        assert (recs[0]["ml"] is None) == (asked == 0)
