"""Discord voice IP discovery: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/discord-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "discord")

SSRC = hx("0001e240")
REQUEST = (hx("0001")            # type 1: request
           + hx("0046")          # length 70
           + SSRC                # the client's SSRC
           + bytes(64)           # address: empty in the request
           + hx("0000"))         # port: empty
RESPONSE = (hx("0002") + hx("0046") + SSRC     # type 2, length 70, the SSRC echoed
            + b"203.0.113.77".ljust(64, b"\x00")   # the address the server saw, NUL-padded
            + struct.pack(">H", 50004))            # and its port

FX = Fx("discord-ip-discovery", "discord", FlowView.udp([REQUEST], [RESPONSE]), first="c",
        meta={"ssrc": "0001e240", "address": "203.0.113.77"})


def test_request_alone_is_weaker():
    r = SPEC.probe(FlowView.udp([REQUEST]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8


NEAR_MISSES = [
    FlowView.udp([REQUEST + b"\x00"]),                                    # 75 bytes
    FlowView.udp([REQUEST[:2] + hx("0045") + REQUEST[4:]]),               # length 69
    FlowView.udp([REQUEST], [RESPONSE[:4] + hx("0001e241") + RESPONSE[8:]]),   # another SSRC
    FlowView.udp([REQUEST], [RESPONSE[:8] + b"not an address".ljust(64, b"\x00") + RESPONSE[72:]]),
    FlowView.udp([REQUEST[:8] + b"x" + REQUEST[9:]]),                     # text after the NUL padding
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "discord")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
