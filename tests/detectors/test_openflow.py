"""OpenFlow 1.0-1.5: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "openflow")

HELLO = struct.pack(">BBHI", 4, 0, 16, 1) + struct.pack(">HHI", 1, 8, 1 << 4)   # 1.3, version bitmap
# pcaps/corpus/openflow-1.pcap (spec-built): HELLOs, then FEATURES_REQUEST.
FX = Fx("openflow-hello", "openflow", FlowView.tcp(
    HELLO + struct.pack(">BBHI", 4, 5, 8, 2),                       # HELLO, FEATURES_REQUEST
    struct.pack(">BBHI", 4, 0, 16, 9) + HELLO[8:],                  # the switch's HELLO
), first="c", meta={"version": "1.3"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"\x04\x05" + HELLO[2:], HELLO),   # a side not opening with HELLO
    FlowView.tcp(b"\x09" + HELLO[1:], HELLO),   # version 9
    FlowView.tcp(HELLO[:8] + struct.pack(">HHI", 7, 8, 0), HELLO),   # a hello element of type 7
    FlowView.tcp(HELLO + b"\x04\x05\x00\x02abcd", HELLO),   # a next message shorter than a header
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "openflow")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
