"""GTP (3GPP TS 29.060, 29.274, 29.281, 32.295): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "gtp")

def echo(t, seq):
    """GTPv2-C (TS 29.274 5.1): version 2, no TEID; type, length, sequence, spare;
    a Recovery IE (type 3, length 1, instance 0, restart counter 7)."""
    ie = struct.pack(">BHBB", 3, 1, 0, 7)
    return struct.pack(">BBH", 0x40, t, 4 + len(ie)) + struct.pack(">I", seq << 8) + ie


# pcaps/corpus/gtp-1.pcap (spec-built): Echo Request / Response.
FX = Fx("gtp-echo", "gtp", FlowView.udp([echo(1, 0x101)], [echo(2, 0x101)]), first="c",
        meta={"version": 2, "message": 1}, trunc=FlowView.udp([echo(1, 0x101)[:3]]))
IP = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + bytes(8)
GPDU = struct.pack(">BBHI", 0x30, 255, len(IP), 0x1234) + IP        # GTPv1-U T-PDU carrying IPv4


@pytest.mark.parametrize("view", [
    FlowView.udp([echo(1, 1) + b"\0"]),   # length one short
    FlowView.udp([b"\x40\x63" + echo(1, 1)[2:]]),   # GTPv2 message type 99
    FlowView.udp([GPDU[:8] + b"\x55" + GPDU[9:]]),   # a T-PDU carrying no IP packet (version 5)
    FlowView.udp([b"\x20" + GPDU[1:]]),   # GTPv1 without the PT bit
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "gtp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_gtpv1_user_plane():
    r = SPEC.probe(FlowView.udp([GPDU]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"version": 1, "message": 255}
