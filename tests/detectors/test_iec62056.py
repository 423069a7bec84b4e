"""DLMS/COSEM (IEC 62056): the detector on its fixture (bytes of pcaps/corpus/iec62056-1.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "iec62056")

# iec62056-1.pcap: HDLC SNRM answered by UA with the negotiated parameters.
SNRM = hx("7e",         # flag
          "a007",       # frame format type 3, length 7
          "03",         # destination address (low bit set: 1 byte)
          "21",         # source address
          "93",         # control: SNRM
          "0f01",       # FCS, CRC-16/X.25, LSB first
          "7e")
UA = hx("7e a01e 21 03 73 c37a",                       # UA, header check sequence
        "818012050180060180070400000001080400000001",  # HDLC parameter negotiation
        "533b 7e")                                     # FCS, flag
FX = Fx("iec62056-hdlc", "iec62056", FlowView.tcp(SNRM, UA), first="c",
        meta={"framing": "hdlc", "control": 0x93})

AARQ = hx("601d a109 0607 60857405080101 be10 040e 01000000065f1f0400007e1fffff")
WRAPPED = hx("0001 0010 0001 001f") + AARQ     # version 1, wPorts 0x10 -> 0x01, length 31


def test_wrapper():
    r = SPEC.probe(FlowView.tcp(WRAPPED), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"framing": "wrapper", "apdu": "AARQ"}


# Over UDP (IEC 62056-47's wrapper on UDP/4059): one AARQ datagram, the same bytes. The
# detector's UDP gate (iec62056.py) is checked on it (test_gates.py takes every FX*).
FX_UDP = Fx("iec62056-wrapper-udp", "iec62056", FlowView.udp([WRAPPED]), first="c",
            meta={"framing": "wrapper", "apdu": "AARQ"})


def test_wrapper_over_udp():
    r = SPEC.probe(FX_UDP.view, {})
    assert r.outcome == Outcome.MATCH and r.metadata == FX_UDP.meta


NEAR_MISSES = [
    FlowView.tcp(SNRM[:6] + b"\x0f\x02" + SNRM[8:]),     # FCS does not check out
    FlowView.tcp(hx("7e b007") + SNRM[3:]),              # frame format type 0xB
    FlowView.tcp(hx("0002") + WRAPPED[2:]),              # wrapper version 2
    FlowView.tcp(WRAPPED[:8] + b"\x99" + WRAPPED[9:]),   # no APDU tag 0x99
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "iec62056")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
