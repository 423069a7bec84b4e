"""S7comm: the detector on its fixture (bytes of pcaps/corpus/s7comm-1.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "s7comm")

CR = hx("03 00 0016",   # TPKT version 3, length 22
        "11 e0",        # COTP LI 17, connection request
        "0000 0001 00",  # dst-ref, src-ref, class 0
        "c0 01 0a",     # TPDU size 1024
        "c1 02 0100",   # calling TSAP
        "c2 02 0102")   # called TSAP (rack 0, slot 2)
CC = hx("0300 0016 11 d0 0001 0007 00 c0010a c1020100 c2020102")
SETUP = hx("0300 0019 02 f0 80",        # TPKT, COTP DT, EOT
           "32 01 0000 0001",           # S7: protocol id, job, reserved, PDU ref 1
           "0008 0000",                 # parameter length 8, data length 0
           "f0 00 0001 0001 01e0")      # setup communication: 1/1 AMQ, PDU 480
SETUP_ACK = hx("0300 001b 02f080 32 03 0000 0001 0008 0000 0000 f0 00 0001 0001 01e0")
FX = Fx("s7comm-setup", "s7comm", FlowView.tcp(CR + SETUP, CC + SETUP_ACK), first="c",
        meta={"rosctr": "job", "function": 0xF0, "calling_tsap": "0100", "called_tsap": "0102"})

NEAR_MISSES = [
    FlowView.tcp(CR, CC),                                     # a connect alone: also MMS, RDP
    FlowView.tcp(CR + SETUP[:13] + b"\x00\x09" + SETUP[15:]),   # parameter length disagrees
    FlowView.tcp(CR + SETUP[:7] + b"\x72" + SETUP[8:]),       # protocol id 0x72 (S7comm-plus)
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "s7comm")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
