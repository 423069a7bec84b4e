"""IAX2 (RFC 5456): the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/iax2-1.pcap, commented field by field): positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct  # noqa: F401

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "iax2")

def frame(src, dst, ts, oseq, iseq, sub, ies=b""):
    # F + source call, R + destination call, timestamp, OSeqno, ISeqno, type 6 (IAX), subclass
    return struct.pack(">HHIBBBB", 0x8000 | src, dst, ts, oseq, iseq, 6, sub) + ies


def ie(kind, value):
    return bytes([kind, len(value)]) + value


NEW = frame(0x1234, 0, 3, 0, 0, 0x01,                 # NEW from call 0x1234
            ie(0x0b, hx("0002"))                      # VERSION 2
            + ie(0x01, b"600")                        # CALLED NUMBER
            + ie(0x06, b"alice")                      # USERNAME
            + ie(0x09, struct.pack(">I", 4)))         # FORMAT
ACCEPT = frame(0x0567, 0x1234, 10, 0, 1, 0x07, ie(0x09, struct.pack(">I", 4)))   # to call 0x1234

FX = Fx("iax2-new", "iax2", FlowView.udp([NEW], [ACCEPT]), first="c",
        meta={"subclass": "new", "called_number": "600"})


def test_poke():
    r = SPEC.probe(FlowView.udp([frame(0x2001, 0, 1, 0, 0, 0x1e)]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9 and r.metadata == {"subclass": "poke"}


NEAR_MISSES = [
    FlowView.udp([NEW + b"\x01"]),                                     # an IE cut short
    FlowView.udp([frame(0x1234, 0, 3, 0, 0, 0x01, ie(0x06, b"alice"))]),   # NEW without VERSION
    FlowView.udp([frame(0x1234, 0x99, 3, 0, 0, 0x01, ie(0x0b, hx("0002")))]),   # opener with a destination
    FlowView.udp([NEW], [frame(0x0567, 0x4321, 10, 0, 1, 0x07)]),      # answer to another call
    FlowView.udp([NEW[:10] + hx("02") + NEW[11:]]),                    # a voice frame
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "iax2")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
