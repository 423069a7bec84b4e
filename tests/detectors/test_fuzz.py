"""Fuzz every probe and the engine with arbitrary bytes: no exception, a valid outcome."""
from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from classifier.detectors import detector_list  # noqa: E402
from classifier.detectors.base import Outcome  # noqa: E402
from classifier.detectors.engine import Engine  # noqa: E402
from classifier.detectors.flowview import FlowView  # noqa: E402
from fixtures import FIXTURES, mutate  # noqa: E402

SPECS = [s for s in detector_list.SPECS if s.probe]
ENGINE = Engine()
# Start from real protocol bytes so the fuzzer reaches deep parser states quickly.
SEEDS = [f.view.payload_c2s or f.view.payload_s2c for f in FIXTURES]


blobs = st.one_of(
    st.binary(max_size=600),
    st.builds(mutate, st.sampled_from(SEEDS),
              st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), max_size=6),
              st.integers(0, 1500)))


def check(view):
    for spec in SPECS:
        if view.transport in spec.transports:
            r = spec.probe(view, {})
            assert r.outcome in (Outcome.MATCH, Outcome.NEED_MORE, Outcome.NO_MATCH)
            if r.outcome == Outcome.MATCH:
                assert 0 < r.confidence <= spec.max_confidence and r.protocol == spec.name
    label = ENGINE.classify(view)
    assert label.errors == []


@settings(max_examples=300, deadline=None)
@given(blobs, blobs)
def test_fuzz_tcp(a, b):
    check(FlowView.tcp(a, b))


@settings(max_examples=300, deadline=None)
@given(st.lists(blobs, max_size=4), st.lists(blobs, max_size=3))
def test_fuzz_udp(a, b):
    check(FlowView.udp([x for x in a if x], [x for x in b if x]))
