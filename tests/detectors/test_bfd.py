"""BFD control packets (RFC 5880/5881): the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "bfd")

def ctl(state, my, your, flags=0):
    """BFD control (RFC 5880 4.1): version 1 / diag 0, state + flags, detect mult 3,
    length 24, discriminators, 1 s tx / rx intervals, no echo."""
    return struct.pack(">BBBBIIIII", 0x20, state << 6 | flags, 3, 24, my, your, 1000000, 1000000, 0)


# pcaps/corpus/bfd-1.pcap (spec-built): a session coming up (Down, Init, Up).
FX = Fx("bfd-session", "bfd", FlowView.udp([ctl(1, 0x11, 0), ctl(3, 0x11, 0x22)], [ctl(2, 0x22, 0x11)]),
        first="c", meta={"state": "Down", "diag": 0}, trunc=FlowView.udp([ctl(1, 0x11, 0)[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([ctl(1, 0, 0)]),   # My Discriminator zero
    FlowView.udp([ctl(3, 0x11, 0)]),   # Up without Your Discriminator
    FlowView.udp([ctl(1, 0x11, 0, flags=1)]),   # the Multipoint bit
    FlowView.udp([ctl(1, 0x11, 0) + b"\0"]),   # length field 24, datagram 25
    FlowView.udp([b"\x40" + ctl(1, 0x11, 0)[1:]]),   # version 2
    FlowView.udp([ctl(1, 0x11, 0), ctl(1, 0x12, 0)]),   # a side changing its discriminator
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "bfd")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
