"""StarCraft II's Battle.net login connection: the detector on a fixture built from
nDPI's starcraft.c opening bytes (the rest of the packet is not described publicly, so
the fixture pads it with arbitrary bytes): positive, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture).

The game and Battle.net are not available here, so the captures starcraft-1/2.pcap
(pcaps/gen/tcpsigs.py) are spec-built: nDPI's opening with each first byte, then
seeded random bytes; tools/ndpi_claims.py checks the detector on nDPI's
starcraft_battle.pcap."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "starcraft")

LOGIN = (hx("4a")                          # byte 0: 0x4a (or 0x49)
         + hx("00000a66020aed2d66")        # bytes 1-9: nDPI's fixed opening
         + bytes(range(0x10, 0x60)))       # the rest: not described publicly

FX = Fx("starcraft-login", "starcraft", FlowView.tcp(LOGIN, bytes(range(0x80, 0xc0))),
        first="c", meta={})


def test_positive():
    check_positive(FX, "starcraft")


def test_the_other_first_byte():
    assert SPEC.probe(FlowView.tcp(hx("49") + LOGIN[1:]), {}).outcome == Outcome.MATCH


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


NEAR_MISSES = {
    "another first byte": hx("4b") + LOGIN[1:],
    "one byte off": LOGIN[:9] + hx("67") + LOGIN[10:],
    "shifted by one": hx("00") + LOGIN,
    "server speaks first": None,
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses(name):
    data = NEAR_MISSES[name]
    view = FlowView.tcp(b"", LOGIN) if data is None else FlowView.tcp(data)
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
