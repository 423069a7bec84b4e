"""PFCP (3GPP TS 29.244): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "pfcp")

def hb(t, seq):
    """PFCP (TS 29.244 7.2.2): version 1, no SEID; type, length, sequence, spare;
    Recovery Time Stamp IE (96, length 4)."""
    ie = struct.pack(">HHI", 96, 4, 0xe5f0a000)
    return struct.pack(">BBH", 0x20, t, 4 + len(ie)) + struct.pack(">I", seq << 8) + ie


# pcaps/corpus/pfcp-1.pcap (spec-built): Heartbeat Request / Response.
FX = Fx("pfcp-heartbeat", "pfcp", FlowView.udp([hb(1, 7)], [hb(2, 7)]), first="c",
        meta={"message": "Heartbeat Request"}, trunc=FlowView.udp([hb(1, 7)[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([b"\x21" + hb(1, 7)[1:]]),   # a node message with the S flag
    FlowView.udp([hb(1, 7)[:1] + b"\x32" + hb(1, 7)[2:]]),   # session message 50 without a SEID
    FlowView.udp([hb(1, 7) + b"\0"]),   # length one short
    FlowView.udp([hb(1, 7)[:12]]),   # a heartbeat without IEs... and the wrong length
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "pfcp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
