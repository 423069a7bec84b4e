"""Ether-S-Bus (SAIA S-Bus over UDP): the detector on its fixture (bytes of pcaps/corpus/ether-s-bus-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same verdict, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Verdict
from classifier.detectors.engine import Engine, FlowSession
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, Fx, hx

SPEC = next(s for s in detector_list.SPECS if s.name == "ether-s-bus")

# ether-s-bus-1.pcap: read 3 registers from address 100 of station 10, and the answer.
REQ = hx("00000010",    # length 16, the whole telegram
         "01",          # version
         "00",          # protocol type: S-Bus
         "0001",        # sequence number
         "00",          # attribute: request
         "0a 06 02 0064",  # station 10, read register, count-1 = 2, address 100
         "a16c")        # CRC-16 (XMODEM) of the bytes before
RSP = hx("00000017 01 00 0001 01", "000004b0 fffffffb 0000004d", "e50e")
FX = Fx("ether-s-bus-read", "ether-s-bus", FlowView.udp([REQ], [RSP]), first="c",
        meta={"attribute": "request"})

NEAR_MISSES = [
    FlowView.udp([REQ[:-1] + b"\x6d"]),               # CRC wrong
    FlowView.udp([REQ[:8] + b"\x03" + REQ[9:]]),      # no attribute 3
    FlowView.udp([REQ + b"\x00"]),                    # length disagrees
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).verdict != Verdict.MATCH


def test_positive():
    label = Engine().classify(FX.view)
    assert label.protocol == "ether-s-bus", (label.protocol, label.pending, label.errors)
    for key, value in FX.meta.items():
        assert label.metadata.get(key) == value, key


def test_truncated_needs_more():
    v = FX.view
    first = v.payload_c2s[:3] if FX.first == "c" else v.payload_s2c[:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).verdict == Verdict.NEED_MORE


def test_fragmented_delivery_gives_the_whole_verdict():
    from test_detectors import growing_views
    session, label = FlowSession(), None
    engine = Engine()
    for view in growing_views(FX):
        assert SPEC.probe(view, {}).verdict != Verdict.NO_MATCH, view
        label = engine.classify(view, session)
    assert label is not None and label.protocol == "ether-s-bus"


def test_no_other_detector_claims_it():
    for spec in detector_list.SPECS:
        if spec.probe and spec.name != "ether-s-bus" and FX.view.transport in spec.transports:
            assert spec.probe(FX.view, {}).verdict != Verdict.MATCH, spec.name


@pytest.mark.parametrize("fx", [f for f in FIXTURES if f.view.transport in SPEC.transports],
                         ids=lambda f: f.id)
def test_it_claims_no_other_protocol(fx):
    assert SPEC.probe(fx.view, {}).verdict != Verdict.MATCH
