"""MGCP (RFC 3435): the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/mgcp-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "mgcp")

CRCX = (b"CRCX 1204 aaln/1@gw1.example.net MGCP 1.0\r\n"   # verb, transaction id, endpoint, version
        b"C: A3C47F21456789F0\r\n"                          # call id
        b"L: p:10, a:PCMU\r\n"                              # local connection options
        b"M: sendrecv\r\n")                                 # mode
OK = (b"200 1204 OK\r\n"                                    # code, the same transaction id
      b"I: FDE234C8\r\n\r\nv=0\r\n")

FX = Fx("mgcp-crcx", "mgcp", FlowView.udp([CRCX], [OK]), first="c",
        meta={"verb": "CRCX", "endpoint": "aaln/1@gw1.example.net", "code": 200})

NEAR_MISSES = [
    FlowView.udp([CRCX.replace(b"MGCP 1.0", b"HTTP 1.0")]),            # another protocol token
    FlowView.udp([CRCX.replace(b"CRCX", b"ABCD")]),                    # not a verb
    FlowView.udp([CRCX.replace(b"aaln/1@gw1.example.net", b"aaln/1")]),   # endpoint without a domain
    FlowView.udp([CRCX], [b"200 9999 OK\r\n"]),                        # another transaction id
    FlowView.udp([b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n"]),     # SIP
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "mgcp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
