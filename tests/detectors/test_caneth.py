"""CAN-ETH: the detector on its fixture (bytes of pcaps/corpus/caneth-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "caneth")

FRAMES = (hx("23010000", "04", "1122334400000000", "00", "00")        # id 0x123, 4 bytes, std, data
          + hx("24010000", "08", "0102030405060708", "00", "00"))     # id 0x124, 8 bytes
# caneth-1.pcap: three datagrams of two CAN frames each.
DG = b"ISO11898" + hx("01",   # version 1
                      "02")   # two frames of 15 bytes follow
FX = Fx("caneth-frames", "caneth", FlowView.udp([DG + FRAMES] * 3), first="c", meta={"frames": 2})

NEAR_MISSES = [
    FlowView.udp([b"ISO11898" + hx("02", "02") + FRAMES]),     # version 2
    FlowView.udp([b"ISO11898" + hx("01", "03") + FRAMES]),     # announces more frames than sent
    FlowView.udp([b"ISO11898" + hx("01", "11") + bytes(300)]),   # more than 16 frames
    FlowView.udp([b"ISO11899" + hx("01", "02") + FRAMES]),
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "caneth")


def test_truncated_needs_more():
    v = FX.view
    first = v.payload_c2s[:3] if FX.first == "c" else v.payload_s2c[:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
