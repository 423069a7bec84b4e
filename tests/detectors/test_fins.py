"""Omron FINS over UDP: the detector on its fixture (the bytes of pcaps/corpus/fins-1.pcap, a
spec-built exchange, commented field by field): positive with metadata, truncated ->
NEED_MORE, fed in fragments -> the same outcome, near misses, and no other detector
claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine, FlowSession
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, Fx, hx

SPEC = next(s for s in detector_list.SPECS if s.name == "fins")

READ = hx("80",                          # ICF: gateway, command, response wanted
          "00",                          # RSV
          "02",                          # GCT: gateway count 2
          "00", "0a", "00",              # destination network 0, node 10, unit 0
          "00", "64", "00",              # source network 0, node 100, unit 0
          "01",                          # SID 1
          "0101",                        # MRC/SRC: memory area read
          "82", "006400",                # area DM, word 100, bit 0
          "000a")                        # 10 words
REPLY = (hx("c0", "00", "02",            # ICF: response
            "00", "64", "00", "00", "0a", "00",   # addresses swapped
            "01",                        # SID 1, echoed
            "0101",                      # the command code, echoed
            "0000")                      # end code: normal completion
         + b"".join((100 + k).to_bytes(2, "big") for k in range(10)))   # the words

# fins-1.pcap: a memory area read and its response.
FX = Fx("fins-read", "fins", FlowView.udp([READ], [REPLY]), first="c",
        meta={"command": "memory-area-read", "sid": 1})
TRUNC = FlowView.udp([READ[:3]])


def test_lone_command_is_weaker():
    assert SPEC.probe(FlowView.udp([READ]), {}).confidence < SPEC.probe(FX.view, {}).confidence


NEAR_MISSES = [
    FlowView.udp([READ], [REPLY[:9] + hx("02") + REPLY[10:]]),   # the response's SID differs
    FlowView.udp([READ[:1] + hx("01") + READ[2:]]),              # RSV not zero
    FlowView.udp([hx("82") + READ[1:]]),                         # a reserved ICF bit
    FlowView.udp([READ[:10] + hx("7f01") + READ[12:]]),          # unknown command code
    FlowView.udp([READ[:3] + hx("80") + READ[4:]]),              # destination network 128
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    label = Engine().classify(FX.view)
    assert label.protocol == "fins", (label.protocol, label.pending, label.errors)
    for key, value in FX.meta.items():
        assert label.metadata.get(key) == value, key


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    from test_detectors import growing_views
    session, label = FlowSession(), None
    engine = Engine()
    for view in growing_views(FX):
        assert SPEC.probe(view, {}).outcome != Outcome.NO_MATCH, view
        label = engine.classify(view, session)
    assert label is not None and label.protocol == "fins"


def test_no_other_detector_claims_it():
    for spec in detector_list.SPECS:
        if spec.probe and spec.name != "fins" and FX.view.transport in spec.transports:
            assert spec.probe(FX.view, {}).outcome != Outcome.MATCH, spec.name


@pytest.mark.parametrize("fx", [f for f in FIXTURES if f.view.transport in SPEC.transports],
                         ids=lambda f: f.id)
def test_it_claims_no_other_protocol(fx):
    assert SPEC.probe(fx.view, {}).outcome != Outcome.MATCH
