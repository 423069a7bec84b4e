"""ZUG (the UDP datagrams nDPI's zug.c names, a length-prefixed "UG" 0x10 header): the
detector on its fixture (commented field by field): positive with metadata, truncated ->
NEED_MORE, fed in fragments -> the same outcome, near misses, and no other detector
claims it (nor it another protocol's fixture).

No software that sends these datagrams is public (Casper's node, whose consensus nDPI
names, talks TCP and TLS), so the fixture is built from the header nDPI's check reads,
with a body of arbitrary bytes; pcaps/corpus/zug-{1,2}.pcap are spec-built the same way
(pcaps/gen/gamesigs.py)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "zug")

# nDPI's constant: the 122-byte datagram's length 0x007a, "UG", 0x10
D122 = hx("007a",          # length 122: the whole datagram
          "5547",          # "UG"
          "10") + bytes(range(117))                # opaque body
D24 = hx("0018", "5547", "10",                     # length 24, "UG", 0x10
         "0badc0de 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee")   # 19 opaque bytes
assert len(D122) == 122 and len(D24) == 24
FX = Fx("zug-two-datagrams", "zug", FlowView.udp([D122, D24]), first="c",
        meta={"datagrams": 2})


def test_positive():
    check_positive(FX, "zug")


def test_one_datagram_of_another_size_is_weaker():
    r = SPEC.probe(FlowView.udp([D24]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8
    r = SPEC.probe(FlowView.udp([], [D122]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"datagrams": 1}


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


@pytest.mark.parametrize("dg", [
    D24[:1] + b"\x19" + D24[2:],            # length 25, datagram 24
    D24 + b"\x00",                          # one byte past the length
    D24[:2] + b"ZG" + D24[4:],              # not "UG"
    D24[:4] + b"\x11" + D24[5:],            # 0x11, not 0x10
    hx("0004 5548"),                        # short, and not a start of the header
], ids=["length-long", "length-short", "not-UG", "not-0x10", "short-wrong"])
def test_near_misses(dg):
    assert SPEC.probe(FlowView.udp([dg]), {}).outcome == Outcome.NO_MATCH


def test_a_header_alone_is_never_claimed():
    # shorter than MIN_LEN: awaited alone (a prefix), refused beside a whole datagram
    assert SPEC.probe(FlowView.udp([hx("0005 5547 10")]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.udp([D24], [hx("0005 5547 10")]), {}).outcome == Outcome.NO_MATCH


def test_one_bad_datagram_spoils_the_flow():
    bad = D24[:4] + b"\x11" + D24[5:]
    assert SPEC.probe(FlowView.udp([D122], [bad]), {}).outcome == Outcome.NO_MATCH
    # a short datagram among others is not a prefix the probe waits for
    assert SPEC.probe(FlowView.udp([D122, D24[:3]]), {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
