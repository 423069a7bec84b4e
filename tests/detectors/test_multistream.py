"""multistream-select 1.0: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/multistream-1.pcap, commented field by field): positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct  # noqa: F401

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "multistream")

HEADER = hx("13") + b"/multistream/1.0.0\n"      # uvarint length 19, the protocol id, newline
NOISE = hx("07") + b"/noise\n"                   # a proposal

FX = Fx("multistream-noise", "multistream", FlowView.tcp(HEADER + NOISE, HEADER + NOISE), first="c",
        meta={"protocols": ["/noise", "/noise"]})

NEAR_MISSES = [
    FlowView.tcp(hx("13") + b"/multistream/2.0.0\n"),    # another version
    FlowView.tcp(hx("12") + b"/multistream/1.0.0\n"),    # the length disagrees
    FlowView.tcp(HEADER, b"HTTP/1.1 400 Bad Request\r\n\r\n"),   # the peer is no libp2p node
    FlowView.tcp(b"/multistream/1.0.0\n"),               # no length prefix
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "multistream")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
