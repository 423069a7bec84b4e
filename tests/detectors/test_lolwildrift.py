"""League of Legends: Wild Rift (its UDP match start and keepalive, as nDPI's
lol_wild_rift.c and pull requests #2356/#2359 describe them): the detector on its
fixture (commented field by field): positive with metadata, truncated -> NEED_MORE, fed
in fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture).

The game runs on phones against Riot's servers only, and nothing public describes its
payload beyond those constants, so the fixtures carry the documented constants and
sizes with arbitrary bytes in between; pcaps/corpus/lolwildrift-{1,2}.pcap are
spec-built the same way (pcaps/gen/gamesigs.py)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "lolwildrift")

REQUEST = hx("04000000") + bytes(range(7, 72))          # 69 bytes: 04 00 00 00, then opaque
RESPONSE = hx("10000000") + bytes(i * 7 % 256 for i in range(355))   # 359 bytes: 10 00 00 00
KEEPALIVE = hx("0102c841",                  # the keepalive's head
               "00000002 0003 0000 0010 0005 0006",     # 14 unread bytes
               "41304231")                  # "A0B1"
assert (len(REQUEST), len(RESPONSE), len(KEEPALIVE)) == (69, 359, 22)

FX = Fx("lolwildrift-match-start", "lolwildrift", FlowView.udp([REQUEST], [RESPONSE]),
        first="c", meta={"message": "match-start"})
KEEPALIVE_FX = Fx("lolwildrift-keepalive", "lolwildrift", FlowView.udp([KEEPALIVE]),
                  first="c", meta={"message": "keepalive"})


def test_positive():
    check_positive(FX, "lolwildrift")


def test_keepalive():
    check_positive(KEEPALIVE_FX, "lolwildrift")
    check_truncated(KEEPALIVE_FX, SPEC)
    check_fragmented(KEEPALIVE_FX, SPEC)
    check_claimed_alone(KEEPALIVE_FX, SPEC)

def test_several_keepalives_outrank_a_utp_reading():
    # 01 02 c8 41 also reads as a uTP header's first bytes (type 0, version 1, extension
    # 2, connection id 0xc841): two of them once gave bittorrent's uTP rule its 0.9 (its
    # extension chain is now checked, BEP 29); two keepalives are 0.95
    from classifier.detectors.engine import Engine
    view = FlowView.udp([KEEPALIVE, KEEPALIVE])
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.95
    assert Engine().classify(view).protocol == "lolwildrift"


def test_truncated_needs_more():
    check_truncated(FX, SPEC)
    # the request alone waits for the server's response
    assert SPEC.probe(FlowView.udp([REQUEST]), {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


@pytest.mark.parametrize("view", [
    FlowView.udp([REQUEST + b"\x00"], [RESPONSE]),          # a 70-byte request
    FlowView.udp([REQUEST], [RESPONSE[:-1]]),               # a 358-byte response
    FlowView.udp([REQUEST], [hx("11000000") + RESPONSE[4:]]),   # the response's constant
    FlowView.udp([hx("05000000") + REQUEST[4:]], [RESPONSE]),   # the request's constant
    FlowView.udp([RESPONSE], [REQUEST]),                    # the sides swapped
    FlowView.udp([], [RESPONSE]),                           # a response without a request
    FlowView.udp([KEEPALIVE + b"\x00"]),                    # 23 bytes
    FlowView.udp([KEEPALIVE[:-1] + b"2"]),                  # "A0B2"
    FlowView.udp([hx("0102c842") + KEEPALIVE[4:]]),         # the head
    FlowView.udp([KEEPALIVE], [REQUEST]),                   # a keepalive, then other bytes
], ids=["req-70", "rsp-358", "rsp-const", "req-const", "swapped", "rsp-alone", "ka-23",
        "ka-tail", "ka-head", "ka-mixed"])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
