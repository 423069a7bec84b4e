"""Stratum mining: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/stratum-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "stratum")

SUBSCRIBE = b'{"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]}\n'
RESULT = (b'{"id": 1, "result": [[["mining.set_difficulty", "1"], ["mining.notify", "1"]], "08000002", 4], '
          b'"error": null}\n')

FX = Fx("stratum-subscribe", "stratum", FlowView.tcp(SUBSCRIBE, RESULT), first="c",
        meta={"method": "mining.subscribe", "agent": "cgminer/4.10.0"})

NEAR_MISSES = [
    FlowView.tcp(b'{"id": 1, "method": "eth_getWork", "params": []}\n'),          # another JSON-RPC
    FlowView.tcp(b'{"id": 1, "method": "mining.subscribe"}\n'),                    # no params
    FlowView.tcp(b'{"id": 1, "method": "mining.subscribe", "params": [}\n'),       # not JSON
    FlowView.tcp(SUBSCRIBE, b'{"id": 7, "result": true, "error": null}\n'),      # a result for another id
    FlowView.tcp(SUBSCRIBE, b"HTTP/1.1 400 Bad Request\r\n\r\n"),                 # the peer is no pool
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "stratum")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
