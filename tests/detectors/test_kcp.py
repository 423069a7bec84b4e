"""KCP: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/kcp-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "kcp")

def seg(conv, cmd, sn, una, data=b"", frg=0, wnd=128):
    # conv, cmd, frg, wnd, ts, sn, una, len (little endian), then the data
    return struct.pack("<IBBHIIII", conv, cmd, frg, wnd, 1000 + sn, sn, una, len(data)) + data


CONV = 0x657ad146
FX = Fx("kcp-push-ack", "kcp",
        FlowView.udp([seg(CONV, 81, 0, 0, bytes(range(200)))],                  # PUSH, 200 bytes
                     [seg(CONV, 82, 0, 1) + seg(CONV, 81, 0, 1, b"pong")]),      # ACK + PUSH, one datagram
        first="c", meta={"conv": "657ad146", "commands": ["push", "ack"]})


def test_one_segment_alone_is_weaker():
    r = SPEC.probe(FlowView.udp([seg(CONV, 81, 0, 0, b"x" * 30)]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.6


NEAR_MISSES = [
    FlowView.udp([seg(CONV, 81, 0, 0, b"abc") + b"\x00"]),                     # a byte past the segment
    FlowView.udp([seg(CONV, 80, 0, 0, b"abc")]),                               # cmd 80 is no KCP command
    FlowView.udp([seg(CONV, 82, 0, 0, b"abc")]),                               # an ACK with data
    FlowView.udp([seg(CONV, 81, 0, 0, b"abc")], [seg(CONV + 1, 82, 0, 1)]),   # two conversations
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "kcp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
