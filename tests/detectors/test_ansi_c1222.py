"""ANSI C12.22: the detector on its fixture (bytes of pcaps/corpus/ansi-c1222-2.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "ansi-c1222")

# ansi-c1222-2.pcap: a full read of table 1 and its response, over TCP (ansi-c1222-1.pcap:
# the same over UDP, test_udp).
REQ = hx("60 26",                               # ACSE PDU, 38 bytes
         "a2 0b 06 09 607c86f754011600 04",     # called AP title 2.16.124.113620.1.22.0.4
         "a6 06 0d 04 01160001",                # calling AP title, relative .1.22.0.1
         "a8 04 02 02 0f89",                    # calling AP invocation id
         "be 09 28 07 81 05 80 03 300001")      # user information: EXTERNAL, EPSEM: read table 1
RSP = hx("60 3b", "a2 0b 06 09 607c86f75401160001", "a6 06 0d 04 01160004", "a8 04 02 02 0f89",
         "be 1e 28 1c 81 1a 80 18 00 0014") + b"PORTLENSMETER-0001" + hx("0102 1b")
FX = Fx("ansi-c1222-read", "ansi-c1222", FlowView.tcp(REQ, RSP), first="c",
        meta={"called_ap_title": "2.16.124.113620.1.22.0.4", "calling_ap_title": ".1.22.0.1"})
# DLMS/COSEM's AARQ is also an ACSE 0x60 PDU, but its user information is an OCTET STRING.
DLMS_AARQ = hx("601d a109 0607 60857405080101 be10 040e 01000000065f1f0400007e1fffff")

def test_udp():
    r = SPEC.probe(FlowView.udp([REQ], [RSP]), {})
    assert r.outcome == Outcome.MATCH


NEAR_MISSES = [
    FlowView.udp([DLMS_AARQ]),
    FlowView.udp([REQ[:1] + b"\x27" + REQ[2:]]),              # outer length too long
    FlowView.udp([REQ[:2] + REQ[15:] + REQ[2:15]]),           # elements out of order
    FlowView.udp([hx("6008 a206 0604 2b060104")]),            # no user information
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "ansi-c1222")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
