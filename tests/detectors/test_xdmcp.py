"""XDMCP (X Display Manager Control Protocol): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "xdmcp")

def a8(b):
    return struct.pack(">H", len(b)) + b                              # ARRAY8: length, bytes


WILLING = a8(b"") + a8(b"xdm-host") + a8(b"Willing to manage")      # auth name, host name, status
# pcaps/corpus/xdmcp-1.pcap (spec-built): Query and Willing.
FX = Fx("xdmcp-query", "xdmcp", FlowView.udp(
    [struct.pack(">HHH", 1, 2, 1) + b"\0"],                         # version 1, Query, length 1, no auth names
    [struct.pack(">HHH", 1, 5, len(WILLING)) + WILLING],            # Willing
), first="c", meta={"opcode": "Query"}, trunc=FlowView.udp([b"\0\x01\0"]))


@pytest.mark.parametrize("view", [
    FlowView.udp([struct.pack(">HHH", 2, 2, 1) + b"\0"]),   # version 2
    FlowView.udp([struct.pack(">HHH", 1, 2, 2) + b"\0"]),   # a length beyond the datagram
    FlowView.udp([struct.pack(">HHH", 1, 2, 1) + b"\x01"]),   # one auth name announced, none present
    FlowView.udp([struct.pack(">HHH", 1, 15, 0)]),   # opcode 15
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "xdmcp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
