"""Cisco Skinny Client Control Protocol (SCCP): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "skinny")

def msg(mid, data=b""):
    """SCCP: length (LE, from the message id on), header version 0, message id (LE), data."""
    return struct.pack("<III", 4 + len(data), 0, mid) + data


# pcaps/corpus/skinny-1.pcap (spec-built): Register / RegisterAck, KeepAlive / Ack.
REG = msg(0x0001, b"SEP0011223344\0\0\0" + struct.pack("<II4sII", 0, 1, bytes([127, 0, 0, 1]), 7, 0))
ACK = msg(0x0081, struct.pack("<I", 30) + b"D/M/Y\0\0\0" + struct.pack("<I", 60))
FX = Fx("skinny-register", "skinny", FlowView.tcp(REG + msg(0x0000), ACK + msg(0x0100)), first="c",
        meta={"message": "0x0001", "header_version": 0})


@pytest.mark.parametrize("view", [
    FlowView.tcp(REG[:4] + struct.pack("<I", 0x99) + REG[8:] + msg(0)),   # header version 0x99
    FlowView.tcp(REG[:8] + struct.pack("<I", 0x4000) + REG[12:] + msg(0)),   # message id 0x4000
    FlowView.tcp(struct.pack("<I", 9999) + REG[4:]),   # a length above 4 KiB
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "skinny")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_one_header_is_not_enough():
    assert SPEC.probe(FlowView.tcp(msg(0x0000)), {}).outcome == Outcome.NEED_MORE
