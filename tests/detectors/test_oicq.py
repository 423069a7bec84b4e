"""OICQ, Tencent QQ's UDP protocol: the detector on its fixture (bytes of pcaps/corpus/oicq-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "oicq")

# pcaps/corpus/oicq-1.pcap: keep-alive datagrams and their answers (the encrypted bodies
# are the capture's random bytes).
C0 = hx("02"            # start flag
        "0b37"          # version: the client build
        "0002"          # command 0x0002, keep-alive
        "1000"          # sequence
        "075bcd15"      # QQ number 123456789
        "de088d35c8f2d7226d9a24f0155d9b1f"   # encrypted body (16)
        "03")           # tail flag
S0 = hx("02" "0b37" "0002" "1000"            # same version, command, sequence; no QQ number
        "9207de7c75ba669a68cc3cf903f30c49"   # encrypted body
        "03")
FX = Fx("oicq-keepalive", "oicq", FlowView.udp([C0], [S0]), first="c",
        meta={"version": "0x0b37", "command": 2})
TRUNC = FlowView.udp([C0[:3]])               # a datagram cut by the capture
NEAR_MISSES = [
    FlowView.udp([C0[:-1] + b"\x00"]),                 # no tail flag
    FlowView.udp([C0[:3] + b"\x00\x00" + C0[5:]]),     # command 0: not a command
    FlowView.udp([C0[:3] + b"\x01\x00" + C0[5:]]),     # command 0x0100: outside the documented range
    FlowView.udp([b"\x02\x00\x00" + C0[3:]]),          # version 0
    FlowView.udp([C0], [S0[:-1] + b"\x02"]),           # the answer breaks the envelope
    FlowView.udp([b"\x03" + C0[1:]]),                  # no start flag
]


def test_positive():
    check_positive(FX, "oicq")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


@pytest.mark.parametrize("view", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
