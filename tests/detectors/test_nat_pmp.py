"""NAT-PMP (RFC 6886) and PCP (RFC 6887): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "nat-pmp")

# pcaps/corpus/nat-pmp-1.pcap (spec-built): external address, then a TCP mapping.
FX = Fx("nat-pmp-map", "nat-pmp", FlowView.udp(
    [b"\0\0",                                                      # version 0, opcode 0
     struct.pack(">BBHHHI", 0, 2, 0, 8080, 8080, 3600)],            # map TCP: reserved, ports, lifetime
    [struct.pack(">BBHI4s", 0, 128, 0, 86400, bytes([192, 0, 2, 1])),   # result 0, epoch, address
     struct.pack(">BBHIHHI", 0, 130, 0, 86401, 8080, 8080, 3600)]),
    first="c", meta={"protocol": "nat-pmp", "opcode": "external-address"})
PCP_MAP = (struct.pack(">BBHI", 2, 1, 0, 3600) + bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1])   # header
           + bytes(12) + struct.pack(">B3xHH", 6, 8080, 0) + bytes(16))                          # MAP body
PCP_RESP = (struct.pack(">BBBBI", 2, 0x81, 0, 0, 3600) + struct.pack(">I", 1234) + bytes(12)
            + PCP_MAP[24:])


@pytest.mark.parametrize("view", [
    FlowView.udp([b"\0\0"], [struct.pack(">BBHI4s", 0, 128, 9, 1, bytes(4))]),   # result code 9
    FlowView.udp([b"\0\0"], [struct.pack(">BBHI", 0, 128, 0, 1)]),   # a response without its address
    FlowView.udp([b"\0\x05"], [struct.pack(">BBHI4s", 0, 133, 0, 1, bytes(4))]),   # opcode 5
    FlowView.udp([struct.pack(">BBHHHI", 0, 2, 1, 80, 80, 60)], [struct.pack(">BBHIHHI", 0, 130, 0, 1, 80, 80, 60)]),   # reserved word set
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "nat-pmp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_requests_alone_wait():
    assert SPEC.probe(FlowView.udp([b"\0\0", b"\0\0"]), {}).outcome == Outcome.NEED_MORE


def test_pcp():
    r = SPEC.probe(FlowView.udp([PCP_MAP], [PCP_RESP]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"protocol": "pcp", "opcode": "map"}


# An unanswered client retransmits the very same request (RFC 6886 3.1, 3.3).
MAP_TCP = struct.pack(">BBHHHI", 0, 2, 0, 22000, 22000, 3600)   # version 0, map TCP, reserved 0, ports, lifetime


def test_retransmitted_map_request_is_a_weak_match():
    r = SPEC.probe(FlowView.udp([MAP_TCP, MAP_TCP, MAP_TCP]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.6
    assert r.metadata == {"protocol": "nat-pmp", "opcode": "map-tcp"}


def test_retransmitted_pcp_map_request():
    assert SPEC.probe(FlowView.udp([PCP_MAP, PCP_MAP]), {}).confidence == 0.6


@pytest.mark.parametrize("view", [
    FlowView.udp([MAP_TCP]),                                        # sent once: too few bits
    FlowView.udp([MAP_TCP, MAP_TCP[:-1] + b"\x11"]),                # two different requests
    FlowView.udp([struct.pack(">BBHHHI", 0, 2, 0, 0, 0, 0)] * 2),   # internal port 0
])
def test_unanswered_requests_not_claimed(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH
