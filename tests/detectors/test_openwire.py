"""ActiveMQ OpenWire: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "openwire")

def info(version):
    """WireFormatInfo: size, type 1, magic "ActiveMQ", version, marshalled properties."""
    body = b"\x01" + b"ActiveMQ" + struct.pack(">I", version) + b"\x01" + struct.pack(">I", 4) + bytes(4)
    return struct.pack(">I", len(body)) + body


# pcaps/corpus/openwire-1.pcap (spec-built): WireFormatInfo both ways.
FX = Fx("openwire-wireformat", "openwire", FlowView.tcp(info(12), info(12)), first="c", meta={"version": 12})


@pytest.mark.parametrize("view", [
    FlowView.tcp(info(12)[:5] + b"ActiveMX" + info(12)[13:]),   # not the magic
    FlowView.tcp(info(12)[:4] + b"\x02" + info(12)[5:]),   # not a WireFormatInfo
    FlowView.tcp(info(0)),   # version 0
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "openwire")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
