"""BACnet/IP: the detector on its fixture (bytes of pcaps/corpus/bacnet-2.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "bacnet")

# bacnet-2.pcap: ReadProperty of device 10's property 75 (object-identifier), and its ack.
REQ = hx("81",          # BVLC type: BACnet/IP
         "0a",          # function: Original-Unicast-NPDU
         "0011",        # length 17, the whole datagram
         "01 04",       # NPDU version 1, control: expecting reply
         "00 05 01 0c",  # confirmed request, max APDU 1476, invoke id 1, ReadProperty
         "0c 0200000a",  # context 0: object id (device, 10)
         "19 4b")       # context 1: property id 75
ACK = hx("810a0017", "0100", "30 01 0c", "0c0200000a", "194b", "3e c40200000a 3f")   # complex ack
FX = Fx("bacnet-read-property", "bacnet", FlowView.udp([REQ], [ACK]), first="c",
        meta={"function": "Original-Unicast-NPDU", "apdu_type": "confirmed-request"})


def test_fixed_size_functions():
    # Register-Foreign-Device (TTL 60) answered by BVLC-Result 0: no NPDU, fixed sizes.
    r = SPEC.probe(FlowView.udp([hx("81050006003c")], [hx("810000060000")]), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.9


NEAR_MISSES = [
    FlowView.udp([REQ[:2] + b"\x00\x12" + REQ[4:]]),      # length disagrees with the datagram
    FlowView.udp([REQ[:4] + b"\x02" + REQ[5:]]),          # NPDU version 2
    FlowView.udp([REQ[:5] + b"\x44" + REQ[6:]]),          # reserved control bit set
    FlowView.udp([hx("810d0004")]),                       # no function 0x0d
    FlowView.udp([hx("81050007003c00")]),                 # Register-Foreign-Device is 6 bytes
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "bacnet")


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
