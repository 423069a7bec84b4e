"""Nano node protocol: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/nano-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "nano")

def header(net, kind, ext):
    # magic 'R', network id, version max / using / min, message type, extensions (LE)
    return b"R" + net + bytes([20, 20, 18, kind]) + struct.pack("<H", ext)


QUERY = header(b"C", 0x0a, 0x1 | 0x4) + bytes(range(32))                  # node_id_handshake: cookie
ANSWER = header(b"C", 0x0a, 0x1 | 0x2 | 0x4) + bytes(range(32)) + bytes(32 + 32 + 32 + 64)   # cookie; id, salt, genesis, signature

FX = Fx("nano-handshake", "nano", FlowView.tcp(QUERY, ANSWER), first="c",
        meta={"network": "live", "version_using": 20})


def test_one_side_is_weaker():
    r = SPEC.probe(FlowView.tcp(QUERY), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8


NEAR_MISSES = [
    FlowView.tcp(header(b"Z", 0x0a, 0x5) + bytes(32)),                    # unknown network
    FlowView.tcp(QUERY, header(b"B", 0x0a, 0x7) + bytes(192)),            # the peer on another network
    FlowView.tcp(b"R" + b"C" + bytes([18, 20, 20, 0x0a]) + hx("0500") + bytes(32)),   # min above max
    FlowView.tcp(header(b"C", 0x0a, 0x5) + bytes(32) + b"X"),             # no header after the message
    FlowView.tcp(header(b"C", 0x0a, 0x8) + bytes(32)),                    # undefined extension bit
    FlowView.tcp(header(b"C", 0x02, 0x0) + bytes(144)),                   # a keepalive first
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "nano")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
