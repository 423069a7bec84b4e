"""Avast "NOSA" framing: the detector on its fixture (bytes of pcaps/corpus/avast-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "avast")

# pcaps/corpus/avast-1.pcap: one request, one answer (bodies opaque: patterns here).
REQ = (b"NOSA"                  # magic
       b"\x00\x60"              # length of the whole message: 96
       b"\x01\x01"              # message type (request)
       + b"\x5a" * 88)          # body
ANS = b"NOSA" b"\x00\x10" b"\x01\x02" + b"\x5a" * 8   # 16 bytes, type 0x0102
FX = Fx("avast-exchange", "avast", FlowView.tcp(REQ, ANS), first="c", meta={"messages": 2})
TRUNC = FlowView.tcp(REQ[:3])
NEAR_MISSES = [
    FlowView.tcp(b"NOSE" + REQ[4:]),                   # wrong magic
    FlowView.tcp(b"NOSA\x00\x04\x01\x01"),             # a length shorter than the header
    FlowView.tcp(REQ + b"GET / HTTP/1.1\r\n"),         # what follows is no message
    FlowView.tcp(REQ, b"HTTP/1.1 200 OK\r\n\r\n"),     # the server does not frame
]


def test_positive():
    check_positive(FX, "avast")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


@pytest.mark.parametrize("view", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
