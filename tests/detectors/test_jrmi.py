"""Java RMI wire protocol (JRMP): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "jrmi")

# pcaps/corpus/jrmi-1.pcap (spec-built, Java RMI spec 10.2-10.3).
FX = Fx("jrmi-stream", "jrmi", FlowView.tcp(
    b"JRMI\0\x02\x4b"                                               # magic, version 2, StreamProtocol
    b"\0\x09127.0.0.1\0\0\0\0",                                    # the client's endpoint
    b"\x4e\0\x09127.0.0.1\0\0\x9c\x40",                              # ProtocolAck, host, port
), first="c", meta={"version": 2, "protocol": "stream", "client_host": "127.0.0.1"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"JRMI\0\x02\x4a"),   # protocol byte 0x4a
    FlowView.tcp(b"JRMI\0\x07\x4b"),   # version 7
    FlowView.tcp(b"JRMI\0\x02\x4b", b"\x50"),   # an answer that is no ack
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "jrmi")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
