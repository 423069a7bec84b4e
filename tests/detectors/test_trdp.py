"""TRDP: the detector on its fixture (bytes of pcaps/corpus/trdp-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "trdp")

import struct
import zlib


def pd(seq, data):
    head = (seq.to_bytes(4, "big")            # sequence counter
            + hx("0100")                      # protocol version 1.0
            + b"Pd"                           # message type: process data
            + hx("000003e8")                  # ComId 1000
            + bytes(8)                        # etbTopoCnt, opTrnTopoCnt
            + len(data).to_bytes(4, "big")    # dataset length
            + bytes(12))                      # reserved, reply ComId, reply IP
    return head + struct.pack("<I", zlib.crc32(head)) + data     # header FCS, LSB first


# trdp-1.pcap: three process-data telegrams.
FX = Fx("trdp-pd", "trdp", FlowView.udp([pd(k, b"speed=%03d;doors=closed" % (80 + k)) for k in range(3)]),
        first="c", meta={"msg_type": "Pd", "com_id": 1000})

BAD_FCS = bytearray(pd(0, b"x"))
BAD_FCS[39] ^= 1
NEAR_MISSES = [
    FlowView.udp([bytes(BAD_FCS)]),                           # header FCS does not check out
    FlowView.udp([pd(0, b"x")[:4] + hx("0200") + pd(0, b"x")[6:]]),   # version 2
    FlowView.udp([pd(0, b"x")[:6] + b"Px" + pd(0, b"x")[8:]]),        # no such message type
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "trdp")


def test_truncated_needs_more():
    v = FX.view
    first = v.payload_c2s[:3] if FX.first == "c" else v.payload_s2c[:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
