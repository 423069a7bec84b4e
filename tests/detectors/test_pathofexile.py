"""Path of Exile's login message: the detector on a fixture built from nDPI's
path_of_exile.c description (fixed bytes, the nickname, the fixed tail), commented
field by field: positive with metadata, truncated -> NEED_MORE, fed in fragments ->
the same outcome, near misses, and no other detector claims it (nor it another
protocol's fixture).

The game's client and servers are not installable here, so the captures
pathofexile-1/2.pcap (pcaps/gen/tcpsigs.py) are spec-built: the login (two nickname
lengths), then seeded random bytes; tools/ndpi_claims.py checks the detector on nDPI's
path_of_exile.pcapng."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "pathofexile")

NAME = b"Marauder_7"
LOGIN = (hx("00")               # byte 0: 0x00
         + hx("0300")           # bytes 1-2: 03 00
         + hx("a1b2c3")         # bytes 3-5: not fixed
         + hx("00")             # byte 6: 0x00
         + hx("0200")           # bytes 7-8: 02 00
         + bytes([len(NAME)])   # byte 9: the nickname's length (4-23)
         + NAME                 # the character's nickname
         + hx("5a6b7c8d")       # 4 bytes, not fixed
         + hx("00000000" "40000001"))   # the fixed tail

FX = Fx("pathofexile-login", "pathofexile", FlowView.tcp(LOGIN), first="c",
        meta={"character": "Marauder_7"})


def test_positive():
    check_positive(FX, "pathofexile")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_the_message_fills_the_first_segment():
    ok = FlowView("tcp", LOGIN + b"\x00" * 8, b"", (), (), [0, 0], [len(LOGIN), 8])
    assert SPEC.probe(ok, {}).outcome == Outcome.MATCH
    longer = FlowView("tcp", LOGIN + b"\x00" * 8, b"", (), (), [0], [len(LOGIN) + 8])
    assert SPEC.probe(longer, {}).outcome == Outcome.NO_MATCH


def _with_name(name: bytes) -> bytes:
    return LOGIN[:9] + bytes([len(name)]) + name + LOGIN[10 + len(NAME):]


NEAR_MISSES = {
    "byte 0 not zero": hx("01") + LOGIN[1:],
    "another version bytes": LOGIN[:1] + hx("0400") + LOGIN[3:],
    "bytes 7-8 differ": LOGIN[:7] + hx("0300") + LOGIN[9:],
    "name too short": _with_name(b"Abc"),
    "name too long": _with_name(b"A" * 24),
    "name with a space": _with_name(b"Mara uder"),
    "length byte off by one": LOGIN[:9] + bytes([len(NAME) + 1]) + LOGIN[10:] + b"\x00",
    "another tail": LOGIN[:-1] + hx("02"),
    "a longer message": LOGIN + b"\x00",
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses(name):
    assert SPEC.probe(FlowView.tcp(NEAR_MISSES[name]), {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
