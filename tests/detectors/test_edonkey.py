"""eDonkey / eMule TCP: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/edonkey-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "edonkey")

def frame(op, body, proto=0xE3):
    # protocol, size (opcode + body, little endian), opcode, body
    return bytes([proto]) + struct.pack("<I", 1 + len(body)) + bytes([op]) + body


TAGS = (hx("02" "0100" "01") + struct.pack("<H", 8) + b"portlens"    # string tag 0x01: name
        + hx("03" "0100" "11") + struct.pack("<I", 0x3c))           # integer tag 0x11: version
HELLO = frame(0x01, hx("10")                        # user hash size 16
              + bytes(range(16))                    # user hash
              + hx("7f000001" "3612")               # client id, TCP port 4662
              + struct.pack("<I", 2) + TAGS         # tag count, tags
              + hx("00000000" "0000"))              # server address, port
ANSWER = frame(0x4c, bytes(range(16, 32)) + hx("7f000001" "4012") + struct.pack("<I", 2) + TAGS
               + hx("00000000" "0000"))             # Hello Answer: no hash size byte

FX = Fx("edonkey-hello", "edonkey", FlowView.tcp(HELLO, ANSWER), first="c", meta={"opcodes": ["01", "4c"]})


def test_client_hello_alone_is_weaker():
    r = SPEC.probe(FlowView.tcp(HELLO), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8
    assert SPEC.probe(FlowView.tcp(HELLO[:40]), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.tcp(b"\xe4" + HELLO[1:], ANSWER),             # protocol byte 0xe4 (KAD is UDP)
    FlowView.tcp(frame(0x4c, bytes(40)), ANSWER),          # the client opens with another opcode
    FlowView.tcp(frame(0x01, bytes(8)), ANSWER),           # a Hello too short for hash, id, port
    FlowView.tcp(HELLO, b"HTTP/1.1 400 Bad Request\r\n"),  # the peer is no eDonkey peer
    FlowView.tcp(HELLO + b"\x00\x01", ANSWER),             # bytes after the Hello that are no frame
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "edonkey")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
