"""Ether-S-I/O: the detector on its fixture (bytes of pcaps/corpus/ethersio-1.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "ethersio")

# ethersio-1.pcap: data-transfer telegrams with two transfers each.
TLG = (b"ESIO" + hx("0001",      # telegram type: data transfer
                    "0000",      # version 0
                    "0032",      # length 50, the whole telegram
                    "0064",      # transaction id
                    "00000018",  # telegram id
                    "0000000d",  # source station
                    "02",        # two transfers
                    "00")        # flags
       + hx("0000005c 00000001 0006") + bytes(6)          # transfer 0x5c to 1, 6 bytes
       + hx("0000005d 00000002 0002 0001"))               # transfer 0x5d to 2, 2 bytes
FX = Fx("ethersio-transfer", "ethersio", FlowView.udp([TLG] * 3), first="c", meta={"telegram": "transfer"})

NEAR_MISSES = [
    FlowView.udp([TLG[:9] + b"\x33" + TLG[10:]]),     # length disagrees
    FlowView.udp([TLG[:20] + b"\x03" + TLG[21:]]),    # three transfers announced, two sent
    FlowView.udp([TLG[:5] + b"\x03" + TLG[6:]]),      # no telegram type 3
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "ethersio")


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
