"""Steam / Source engine A2S queries: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/a2s-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "a2s")

INFO_REQUEST = hx("ffffffff") + b"T" + b"Source Engine Query\x00"    # simple header, A2S_INFO, payload
CHALLENGE = hx("ffffffff") + b"A" + hx("5be1c0de")                   # S2C_CHALLENGE
INFO = (hx("ffffffff") + b"I" + hx("11")                             # A2S_INFO answer, protocol 17
        + b"portlens spec-built\x00" + b"de_dust2\x00" + b"csgo\x00" + b"Counter-Strike\x00"
        + struct.pack("<H", 730) + bytes([3, 16, 0]) + b"dl\x00\x01" + b"1.0.0.0\x00")

FX = Fx("a2s-info", "a2s", FlowView.udp([INFO_REQUEST, INFO_REQUEST + hx("5be1c0de")], [CHALLENGE, INFO]),
        first="c", meta={"query": "info", "answer": "challenge"})


def test_player_query():
    r = SPEC.probe(FlowView.udp([hx("ffffffff") + b"U" + hx("ffffffff")], [CHALLENGE]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9 and r.metadata == {"query": "player", "answer": "challenge"}


NEAR_MISSES = [
    FlowView.udp([hx("ffffffff") + b"TSource Engine Query!"]),           # no NUL
    FlowView.udp([INFO_REQUEST + bytes(8)]),                             # more than a challenge after it
    FlowView.udp([INFO_REQUEST], [hx("ffffffff") + b"Z" + bytes(8)]),    # an unknown answer
    FlowView.udp([hx("ffffffff") + b"U" + hx("ffffffff")], [INFO]),      # a player query answered by info
    FlowView.udp([], [CHALLENGE]),                                       # the answer alone
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "a2s")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
