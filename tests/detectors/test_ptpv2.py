"""Precision Time Protocol version 2: the detector on its fixture (the bytes of pcaps/corpus/ptpv2-1.pcap, a
spec-built exchange, commented field by field): positive with metadata, truncated ->
NEED_MORE, fed in fragments -> the same outcome, near misses, and no other detector
claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "ptpv2")

CLOCK = hx("00246dfffe010203", "0001")   # sourcePortIdentity: clock identity, port 1


def ptp(mtype, control, seq, body, flags="0000", log="00"):
    return (bytes([mtype])               # transportSpecific 0, messageType
            + hx("02")                   # versionPTP 2
            + (34 + len(body)).to_bytes(2, "big")   # messageLength
            + hx("00", "00", flags,      # domain 0, reserved, flagField
                 "0000000000000000",     # correctionField
                 "00000000")             # reserved
            + CLOCK + seq.to_bytes(2, "big")   # sourcePortIdentity, sequenceId
            + bytes([control]) + hx(log)  # controlField, logMessageInterval
            + body)


TS = hx("0000", "6955b90b", "00001388")  # originTimestamp: seconds (6), nanoseconds
REQ = ptp(0x1, 1, 10, bytes(10), log="7f")             # Delay_Req, 44 bytes
RESP = ptp(0x9, 3, 10, TS + hx("00246dfffe0a0b0c0001"))   # Delay_Resp, 54 bytes, requestingPortIdentity

# ptpv2-1.pcap: a Delay_Req and its Delay_Resp.
FX = Fx("ptpv2-delay", "ptpv2", FlowView.udp([REQ], [RESP]), first="c",
        meta={"message": "delay-req", "domain": 0})
TRUNC = FlowView.udp([REQ[:3]])


def test_one_message_is_weaker():
    assert SPEC.probe(FlowView.udp([REQ]), {}).confidence < SPEC.probe(FX.view, {}).confidence


# An 802.1AS Follow_Up (802.1AS-2011 11.4.4): preciseOriginTimestamp, then the Follow_Up
# information TLV, 76 bytes in all.
FU_TLV = hx("0003",                      # tlvType ORGANIZATION_EXTENSION
            "001c",                      # lengthField 28
            "0080c2", "000001",          # organizationId IEEE 802.1, subtype 1
            "00000000",                  # cumulativeScaledRateOffset
            "0000",                      # gmTimeBaseIndicator
            "000000000000000000000000",  # lastGmPhaseChange
            "00000000")                  # scaledLastGmFreqChange
FOLLOW_UP = ptp(0x8, 2, 11, TS + FU_TLV)
SYNC = ptp(0x0, 0, 11, bytes(10), flags="0200")   # two-step Sync, 44 bytes


def test_follow_up_with_its_tlv():
    r = SPEC.probe(FlowView.udp([SYNC, FOLLOW_UP]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.95 and len(FOLLOW_UP) == 76


NEAR_MISSES = [
    FlowView.udp([SYNC, FOLLOW_UP[:-1]]),                    # the TLV one byte short of its length
    FlowView.udp([SYNC, ptp(0x8, 2, 11, TS + FU_TLV[:2] + hx("001b") + FU_TLV[4:-1])]),   # odd lengthField
    FlowView.udp([ptp(0x0, 0, 1, bytes(14))]),               # a 48-byte "Sync": a reserved type-0 TLV
    FlowView.udp([REQ + b"\x00"]),                           # messageLength one short
    FlowView.udp([REQ[:1] + hx("01") + REQ[2:]]),            # versionPTP 1
    FlowView.udp([REQ[:32] + hx("03") + REQ[33:]]),          # controlField of a Delay_Resp
    FlowView.udp([REQ], [RESP[:4] + hx("05") + RESP[5:]]),   # two domains in one flow
    FlowView.udp([ptp(0x0, 0, 1, bytes(20))]),               # a 54-byte "Sync"
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "ptpv2")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
