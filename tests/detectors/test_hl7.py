"""HL7 v2 over MLLP: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "hl7")

# pcaps/corpus/hl7-1.pcap (spec-built): an ADT^A01 and its ACK, MLLP-framed.
MSG = (b"MSH|^~\\&|PORTLENS|LAB|EHR|HOSP|20240101120000||ADT^A01|MSG00001|P|2.5\r"
       b"PID|1||12345^^^HOSP^MR||DOE^JOHN||19700101|M\r")
ACK = b"MSH|^~\\&|EHR|HOSP|PORTLENS|LAB|20240101120001||ACK^A01|ACK00001|P|2.5\rMSA|AA|MSG00001\r"
FX = Fx("hl7-adt", "hl7", FlowView.tcp(b"\x0b" + MSG + b"\x1c\r", b"\x0b" + ACK + b"\x1c\r"), first="c",
        meta={"message_type": "ADT^A01", "version": "2.5"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(MSG),   # no MLLP start byte
    FlowView.tcp(b"\x0bMSH|^^^^|x\r"),   # encoding characters repeated
    FlowView.tcp(b"\x0bPID|1\r"),   # a message that does not start with MSH
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "hl7")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
