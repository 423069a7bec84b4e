"""TACACS+ (RFC 8907): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "tacacs")

def pkt(seq, body, version=0xc1, ptype=1, flags=0, session=0x5eed1234):
    """TACACS+ header (RFC 8907 4.1): version 12.1, type, seq_no, flags, session id,
    body length; the body (obfuscated: random-looking bytes)."""
    return struct.pack(">BBBBII", version, ptype, seq, flags, session, len(body)) + body


# pcaps/corpus/tacacs-1.pcap (spec-built): an authentication START and its REPLY.
FX = Fx("tacacs-authen", "tacacs", FlowView.tcp(pkt(1, bytes(range(26))), pkt(2, bytes(range(14)))),
        first="c", meta={"type": "authentication", "obfuscated": True})


@pytest.mark.parametrize("view", [
    FlowView.tcp(pkt(1, bytes(26)), pkt(2, bytes(14), session=1)),   # another session id
    FlowView.tcp(pkt(1, bytes(26)), pkt(2, bytes(14), ptype=2)),   # another type
    FlowView.tcp(pkt(3, bytes(26)), pkt(4, bytes(14))),   # a first packet with seq_no 3
    FlowView.tcp(pkt(1, bytes(26), version=0xd0), pkt(2, bytes(14))),   # major version 13
    FlowView.tcp(pkt(1, bytes(26), flags=0x10), pkt(2, bytes(14))),   # an undefined flag
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "tacacs")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_one_packet_waits_for_the_answer():
    assert SPEC.probe(FlowView.tcp(pkt(1, bytes(26))), {}).outcome == Outcome.NEED_MORE
