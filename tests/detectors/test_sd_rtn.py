"""Agora SD-RTN: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/sd-rtn-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "sd-rtn")

HOST = b"198-51-100-17.edge.sd-rtn.example"
REQUEST = (hx("00" "3a9c51f2" "00")              # header: sequence, session id (free)
           + hx("21")                            # message type 0x21: edge session request
           + hx("0000000000")                    # (free)
           + b"\x04SNI"                          # first attribute's key
           + struct.pack(">H", len(HOST))        # its value length
           + hx("00")                            # 0x00
           + HOST                                # the edge host name
           + b"\x00\x04PEID" + bytes(16))        # a further attribute
ANSWER = hx("00" "51c2a7e0" "00" "23" "00" "3a9c51f2") + b"\x00\x04PEID" + bytes(16)   # 0x23 echoes the id

FX = Fx("sd-rtn-edge-request", "sd-rtn", FlowView.udp([REQUEST], [ANSWER]), first="c",
        meta={"sni": "198-51-100-17.edge.sd-rtn.example"})

NEAR_MISSES = [
    FlowView.udp([REQUEST[:6] + b"\x22" + REQUEST[7:]]),                 # another message type
    FlowView.udp([REQUEST[:12] + b"\x04SNJ" + REQUEST[16:]]),            # another key
    FlowView.udp([REQUEST[:16] + struct.pack(">H", 400) + REQUEST[18:]]),   # length past the datagram
    FlowView.udp([REQUEST[:19] + b"bad host!" + REQUEST[28:]]),          # not a host name
    FlowView.udp([], [ANSWER]),                                          # the answer alone
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "sd-rtn")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
