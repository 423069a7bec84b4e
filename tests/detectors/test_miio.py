"""Xiaomi miIO local protocol: the detector on its fixture (the bytes of pcaps/corpus/miio-1.pcap, a
spec-built exchange, commented field by field): positive with metadata, truncated ->
NEED_MORE, fed in fragments -> the same outcome, near misses, and no other detector
claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "miio")

HELLO = hx("2131",                       # magic
           "0020") + b"\xff" * 28        # length 32, the rest 0xFF
REPLY = (hx("2131", "0020",              # magic, length 32
            "00000000",                  # unknown word
            "0487a1c3",                  # device id
            "00012f4a")                  # stamp
         + bytes(range(16)))             # token (stand-in bytes)
COMMAND = (hx("2131", "0060", "00000000", "0487a1c3", "00012f4b")   # 32 + 64 bytes
           + bytes(16) + bytes(range(64)))       # checksum, 4 AES blocks (stand-in bytes)

# miio-1.pcap: hello, its answer, one command.
FX = Fx("miio-hello", "miio", FlowView.udp([HELLO, COMMAND], [REPLY]), first="c",
        meta={"hello": True, "device_id": 0x0487A1C3})
TRUNC = FlowView.udp([HELLO[:3]])


def test_command_alone_is_weaker():
    assert SPEC.probe(FlowView.udp([COMMAND]), {}).confidence < SPEC.probe(FX.view, {}).confidence


NEAR_MISSES = [
    FlowView.udp([HELLO + b"\xff"]),                         # length one short of the datagram
    FlowView.udp([COMMAND[:-1]]),                            # body not whole AES blocks
    FlowView.udp([COMMAND[:4] + hx("12345678") + COMMAND[8:]]),   # unknown word neither 0 nor ~0
    FlowView.udp([hx("2132") + HELLO[2:]]),                  # wrong magic
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "miio")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
