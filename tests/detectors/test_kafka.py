"""Apache Kafka: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "kafka")

# ApiVersions v0 request: size 27, api_key 18, api_version 0, correlation_id 1,
# client_id "portlens-producer" (int16 length 17), empty body
REQ = (bytes.fromhex("0000001b" "0012" "0000" "00000001" "0011") + b"portlens-producer")
# its response: size 30, correlation_id 1 (the echo), error_code 0, 4 api versions
RESP = (bytes.fromhex("0000001e" "00000001" "0000" "00000004") +
        bytes.fromhex("000000000009" "00010000000d" "00030000000c" "001200000003"))

# pcaps/corpus/kafka-1.pcap (spec-built): the first exchange.
FX = Fx("kafka-apiversions", "kafka", FlowView.tcp(REQ, RESP), first="c",
        meta={"api_key": 18, "api_version": 0, "client_id": "portlens-producer"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(REQ, RESP[:4] + bytes.fromhex("00000002") + RESP[8:]),   # correlation id not echoed
    FlowView.tcp(REQ[:4] + bytes.fromhex("0400") + REQ[6:], RESP),      # api_key 1024
    FlowView.tcp(REQ[:6] + bytes.fromhex("0063") + REQ[8:], RESP),      # api_version 99
    FlowView.tcp(REQ[:12] + bytes.fromhex("0100") + REQ[14:], RESP),    # client_id longer than the message
    FlowView.tcp(REQ[:14] + b"\x01" + REQ[15:], RESP),                  # a control byte in client_id
    FlowView.tcp(b"\x01" + REQ[1:]),                                    # a size of 16 MiB and more
    FlowView.tcp(b"", RESP),                                            # the broker never speaks first
    FlowView.tcp(REQ[:8] + bytes(4) + b"\xff\xff", RESP[:4] + bytes(4) + RESP[8:]),  # zeros only: correlation 0, no client id
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_zero_correlation_id_is_claimed_lower():
    req = REQ[:8] + bytes(4) + REQ[12:]
    resp = RESP[:4] + bytes(4) + RESP[8:]
    r = SPEC.probe(FlowView.tcp(req, resp), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.9


def test_positive():
    check_positive(FX, "kafka")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
