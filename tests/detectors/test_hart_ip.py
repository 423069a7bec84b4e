"""HART-IP: the detector on its fixture (bytes of pcaps/corpus/hart-ip-2.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "hart-ip")

# hart-ip-2.pcap: session initiate and a token-passing PDU (command 0) over TCP.
INIT = hx("01",          # version 1
          "00",          # message type: request
          "00",          # message id: session initiate
          "00",          # status
          "0001",        # sequence number
          "000d",        # byte count: 13, header included
          "01 00007530")  # primary master, inactivity close timer 30000 ms
INIT_OK = hx("01 01 00 00 0001 000d 01 00007530")
PDU = hx("01 00 03 00 0002 0011", "82 264e0000d2 00 00 38")   # pass-through: long frame, cmd 0
FX = Fx("hart-ip-session", "hart-ip", FlowView.tcp(INIT + PDU, INIT_OK), first="c",
        meta={"message_id": "session-initiate"})

NEAR_MISSES = [
    FlowView.tcp(hx("03") + INIT[1:]),                        # version 3
    FlowView.tcp(INIT[:1] + b"\x07" + INIT[2:]),              # no message type 7
    FlowView.tcp(INIT[:7] + b"\x0e" + INIT[8:] + b"\x00"),    # initiate is 13 bytes
    FlowView.udp([INIT + b"\x00"]),                           # byte count != datagram
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "hart-ip")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
