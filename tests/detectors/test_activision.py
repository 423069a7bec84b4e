"""Activision (Call of Duty's UDP game traffic, as nDPI's activision.c reads it): the
detector on its fixture (commented field by field): positive, truncated -> NEED_MORE,
fed in fragments -> the same outcome, near misses, and no other detector claims it (nor
it another protocol's fixture).

The games talk to Activision's servers only and nothing public describes the payload
beyond activision.c's openings, so the fixture carries those openings with arbitrary
bytes after them; pcaps/corpus/activision-{1,2}.pcap are spec-built the same way
(pcaps/gen/gamesigs.py)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "activision")

OPEN_C = hx("0c02") + bytes(range(1, 25))            # 26 bytes: the 0c 02 side's opening
OPEN_D = hx("0d02") + bytes(range(1, 25))            # the 0d 02 side's opening
LATER_29 = [hx("29") + bytes([i]) * 20 for i in range(3)]   # the 0c 02 side later: 0x29 ...
LATER_28 = [hx("28") + bytes([i]) * 17 for i in range(3)]   # the 0d 02 side later: 0x28, 18 bytes
FX = Fx("activision-session", "activision",
        FlowView.udp([OPEN_C] + LATER_29, [OPEN_D] + LATER_28[:1]), first="c", meta={"client_opening": "0c02"})


def test_positive():
    check_positive(FX, "activision")


def test_the_0d02_side_may_speak_first():
    r = SPEC.probe(FlowView.udp([OPEN_D] + LATER_28, [OPEN_C] + LATER_29[:1]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8


def test_truncated_needs_more():
    check_truncated(FX, SPEC)
    # both openings but fewer than five datagrams: activision.c waits too
    assert SPEC.probe(FlowView.udp([OPEN_C, LATER_29[0]], [OPEN_D]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.udp([OPEN_C] + LATER_29), {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


@pytest.mark.parametrize("view", [
    FlowView.udp([OPEN_C] + LATER_29, [OPEN_C] + LATER_29[:1]),     # both sides 0c 02
    FlowView.udp([OPEN_C] + LATER_28, [OPEN_D] + LATER_28[:1]),     # 0x28 on the 0c 02 side
    FlowView.udp([OPEN_C] + LATER_29, [OPEN_D, hx("2a") + bytes(17)]),   # 0x2a after 0d 02
    FlowView.udp([OPEN_C] + LATER_29, [OPEN_D, LATER_28[0][:17]]),  # a 17-byte datagram
    FlowView.udp([hx("0c03") + OPEN_C[2:]] + LATER_29, [OPEN_D]),   # 0c 03
], ids=["same-opening", "wrong-later", "later-2a", "short", "0c03"])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
