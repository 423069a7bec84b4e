"""NetFlow v1/v5/v7/v9 and IPFIX (RFC 3954, RFC 7011): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "netflow")

REC = struct.pack(">4s4s4sHHIIIIHHBBBBHHBBH", bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), bytes(4),
                  1, 2, 10, 840, 1000, 2000, 40000, 443, 0, 0x18, 6, 0, 0, 0, 24, 24, 0)   # 48-byte v5 record
# pcaps/corpus/netflow-1.pcap (spec-built): a v5 export of two records.
DG = struct.pack(">HHIIIIBBH", 5, 2, 123456, 1_700_000_000, 0, 1, 0, 0, 0) + REC + REC
FX = Fx("netflow-v5", "netflow", FlowView.udp([DG], []), first="c", meta={"version": 5},
        trunc=FlowView.udp([DG[:3]]))
TEMPLATE = struct.pack(">HHHH", 256, 2, 8, 4) + struct.pack(">HH", 12, 4)   # template 256: two fields
IPFIX = struct.pack(">HHIII", 10, 16 + 4 + len(TEMPLATE), 1_700_000_000, 1, 0) + struct.pack(">HH", 2, 4 + len(TEMPLATE)) + TEMPLATE


@pytest.mark.parametrize("view", [
    FlowView.udp([DG[:2] + b"\0\x03" + DG[4:]]),   # count 3, two records
    FlowView.udp([DG + b"\0"]),   # a trailing byte
    FlowView.udp([IPFIX[:2] + b"\0\x99" + IPFIX[4:]]),   # IPFIX length disagrees
    FlowView.udp([IPFIX[:16] + struct.pack(">HH", 7, 4 + len(TEMPLATE)) + TEMPLATE]),   # set id 7
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "netflow")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_ipfix():
    r = SPEC.probe(FlowView.udp([IPFIX]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"version": 10}
