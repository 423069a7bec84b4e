"""netcode.io (Yojimbo): the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/netcode-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "netcode")

REQUEST = (hx("00")                                   # prefix: packet type 0, connection request
           + b"NETCODE 1.02\x00"                      # version info
           + struct.pack("<Q", 0x1122334455667788)    # protocol id
           + struct.pack("<Q", 1765000000)            # connect token expire timestamp
           + bytes(range(24))                         # connect token nonce
           + bytes(1024))                             # encrypted private connect token
CHALLENGE = hx("12") + hx("01") + bytes(324)           # type 2 | 1 sequence byte << 4, then ciphertext

FX = Fx("netcode-request", "netcode", FlowView.udp([REQUEST], [CHALLENGE]), first="c",
        meta={"version": "1.02", "protocol_id": "1122334455667788"})

NEAR_MISSES = [
    FlowView.udp([REQUEST[:-1]]),                             # 1077 bytes
    FlowView.udp([REQUEST + b"\x00"]),                        # 1079 bytes
    FlowView.udp([REQUEST[:1] + b"NETCODE 1x02" + REQUEST[13:]]),   # no version number
    FlowView.udp([REQUEST], [hx("0f") + bytes(40)]),          # packet type 15 from the server
    FlowView.udp([], [CHALLENGE]),                            # the server alone
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "netcode")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
