"""TeamSpeak 3 (TS3INIT1): the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/teamspeak-1.pcap, commented field by field): positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct  # noqa: F401

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "teamspeak")

C0 = (b"TS3INIT1"            # MAC: the init magic
      + hx("0065")           # packet id 101
      + hx("0000")           # client id 0
      + hx("88")             # type Init1 (8) | unencrypted (0x80)
      + hx("5f5916e0")       # client version
      + hx("00")             # step 0
      + hx("6543a1b2")       # timestamp
      + hx("1a2b3c4d")       # random
      + bytes(8))            # reserved
S1 = (b"TS3INIT1" + hx("0065")
      + hx("88")             # the server's header has no client id
      + hx("01")             # step 1
      + bytes(range(16))     # server stuff
      + hx("4d3c2b1a"))      # the client's random, reversed

FX = Fx("teamspeak-init1", "teamspeak", FlowView.udp([C0], [S1]), first="c", meta={"steps": [0, 1]})

NEAR_MISSES = [
    FlowView.udp([b"TS3INIT2" + C0[8:]]),                     # another magic
    FlowView.udp([C0[:8] + hx("0066") + C0[10:]]),            # another packet id
    FlowView.udp([C0[:17] + hx("01") + C0[18:]]),             # a server step from the client
    FlowView.udp([C0], [S1[:11] + hx("02") + S1[12:]]),       # a client step from the server
    FlowView.udp([C0[:12] + hx("08") + C0[13:]]),             # encrypted flag missing
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "teamspeak")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


@pytest.mark.parametrize("fx", [f for f in FIXTURES if f.view.transport in SPEC.transports],
                         ids=lambda f: f.id)
def test_it_claims_no_other_protocol(fx):
    assert SPEC.probe(fx.view, {}).outcome != Outcome.MATCH
