"""Ethernet Global Data (GE EGD): the detector on its fixture (bytes of pcaps/corpus/egd-1.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "egd")

def egd(req):
    return (hx("0d",                     # PDU type 13
               "01")                     # version 1
            + req.to_bytes(2, "little")  # request id, counting up
            + hx("7f000001",             # producer id (127.0.0.1)
                 "05000000",             # exchange id 5
                 "9850156b",             # timestamp: seconds
                 "0065cd1d",             # nanoseconds (500 000 000)
                 "00000000",             # status
                 "2c1b8100",             # configuration signature
                 "00000000")             # reserved
            + bytes(24))                 # exchange data


# egd-1.pcap: a producer's datagrams, request ids 0x2f10.. counting up.
FX = Fx("egd-exchange", "egd", FlowView.udp([egd(0x2F10 + k) for k in range(4)]),
        first="c", meta={"producer_id": "127.0.0.1", "exchange_id": 5})


def test_one_datagram_is_weaker():
    # A run whose request id counts up is stronger evidence than one datagram.
    assert SPEC.probe(FlowView.udp([egd(1)]), {}).confidence < SPEC.probe(FX.view, {}).confidence


NEAR_MISSES = [
    FlowView.udp([egd(1)[:28] + hx("01000000") + egd(1)[32:]]),     # reserved word set
    FlowView.udp([egd(1)[:20] + hx("00ca9a3b") + egd(1)[24:]]),     # 1e9 nanoseconds
    FlowView.udp([hx("0d02") + egd(1)[2:]]),                        # version 2
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "egd")


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
