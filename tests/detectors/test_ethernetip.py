"""EtherNet/IP encapsulation: the detector on its fixture (bytes of pcaps/corpus/ethernetip-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "ethernetip")

CTX = b"portlens"                              # sender context (8 bytes, echoed)
# ethernetip-1.pcap: RegisterSession, then a Read Tag in SendRRData.
REG = hx("6500", "0400", "00000000", "00000000") + CTX + hx("00000000") + hx("0100", "0000")
REG_OK = hx("6500", "0400", "4d3c1b6a", "00000000") + CTX + hx("00000000") + hx("0100", "0000")
RR = (hx("6f00", "2000", "4d3c1b6a", "00000000") + CTX + hx("00000000")   # SendRRData, 32 bytes
      + hx("00000000", "0a00")                      # interface handle 0, timeout 10
      + hx("0200", "0000 0000",                     # 2 CPF items: null address
           "b200 1000")                             # unconnected data, 16 bytes:
      + hx("4c 03 91 04") + b"TAG1" + hx("0100")    # CIP Read Tag "TAG1", 1 element
      + bytes(6))
FX = Fx("ethernetip-register-read", "ethernetip", FlowView.tcp(REG + RR, REG_OK), first="c",
        meta={"command": "RegisterSession"})
LIST_IDENTITY = hx("6300 0000 00000000 00000000") + CTX + hx("00000000")


def test_lone_list_identity_waits():
    # 24 bytes, nearly all zero: not enough alone.
    assert SPEC.probe(FlowView.udp([LIST_IDENTITY]), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.tcp(bytes(48), bytes(48)),                       # zeros parse as two NOPs
    FlowView.tcp(REG[:20] + b"\x01\x00\x00\x00" + REG[24:]),  # options must be 0
    FlowView.tcp(REG[:24] + hx("0200 0000")),                 # RegisterSession protocol version 2
    FlowView.tcp(RR[:2] + b"\x21\x00" + RR[4:] + b"\x00"),    # CPF items do not fill the data
    FlowView.udp([LIST_IDENTITY[:8] + b"\x07" + LIST_IDENTITY[9:]]),   # unknown status
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "ethernetip")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
