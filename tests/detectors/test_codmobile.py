"""Call of Duty: Mobile (its UDP game data, as nDPI's cod_mobile.c reads it): the
detector on its fixture (commented field by field): positive with metadata, truncated
-> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other detector
claims it (nor it another protocol's fixture).

The game runs on phones against its publisher's servers only and nothing public
describes its payload beyond cod_mobile.c's rule, so the fixture carries that rule's
bytes (0xce, the loadout key) among arbitrary ones; pcaps/corpus/codmobile-{1,2}.pcap
are spec-built the same way (pcaps/gen/gamesigs.py)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "codmobile")

HELLO = hx("09") + bytes(range(1, 120))              # the client's first datagram: not read
SHORT = hx("0e02c000 00010001")                      # a short server datagram: not read
LOADOUTS = (hx("ce")                                  # cod_mobile.c: the first byte 0xce
            + bytes(range(0x20, 0x80)) * 2            # 192 opaque bytes
            + b"LOC_PREFAB_LOADOUTNAME_1"             # the loadout name's localisation key
            + bytes(200))                             # 417 bytes in all (> 350)
FX = Fx("codmobile-loadouts", "codmobile", FlowView.udp([HELLO], [SHORT, LOADOUTS]),
        first="c", meta={"sent_by": "server"})


def test_positive():
    check_positive(FX, "codmobile")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)
    # the loadouts alone: a second datagram is needed (the gate skips lone datagrams)
    assert SPEC.probe(FlowView.udp([LOADOUTS]), {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_gives_up_after_four_datagrams_a_side():
    view = FlowView.udp([HELLO] * 4, [SHORT] * 4)
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


@pytest.mark.parametrize("view", [
    FlowView.udp([HELLO], [SHORT, hx("cf") + LOADOUTS[1:]]),          # not 0xce
    FlowView.udp([HELLO], [SHORT, LOADOUTS[:1] + LOADOUTS[-326:]]),   # 327 bytes: too short
    FlowView.udp([HELLO], [SHORT, LOADOUTS.replace(b"NAME_1", b"NAME_2")]),  # another key
    FlowView.udp([HELLO] * 4, [SHORT] * 4 + [LOADOUTS]),               # past the fourth
], ids=["not-ce", "short", "other-key", "fifth"])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
