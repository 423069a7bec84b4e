"""MMS (ISO 9506-1): the detector on its fixture (bytes of pcaps/corpus/iso9506-mms-1.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "iso9506-mms")

from fixtures import der

CR = hx("0300 0016 11 e0 0000 0001 00 c1020001 c2020001 c0010a")   # COTP CR, TSAPs 1/1
CC = hx("0300 0016 11 d0 0001 0007 00 c1020001 c2020001 c0010a")
MMS_OID = hx("28ca220201")                     # 1.0.9506.2.1: the MMS abstract syntax
CP = der(0x31, der(0xA0, hx("800101")),        # presentation CP-type, normal mode
         der(0xA2, der(0xA4, der(0x30, hx("020103"), der(0x06, MMS_OID))),
             der(0x61, der(0x30, hx("020101"), der(0xA0, der(0x60, hx("a107060528ca220203")))))))
CONNECT = bytes([0x0D, 12 + 2 + len(CP)]) + hx("050613010016 0102 14020002") + hx("c1") + bytes([len(CP)]) + CP


def dt(user):
    return hx("0300") + (7 + len(user)).to_bytes(2, "big") + hx("02f080") + user   # TPKT, COTP DT


FX = Fx("mms-connect", "iso9506-mms", FlowView.tcp(CR + dt(CONNECT), CC), first="c",
        meta={"spdu": "connect"})
# Once associated: give-tokens, data-transfer, presentation data (PDV, context 3), MMS
# confirmed request (0xA0).
DATA = hx("01000100") + der(0x61, der(0x30, hx("020103"), der(0xA0, der(0xA0, hx("020101")))))


def test_data_phase():
    r = SPEC.probe(FlowView.tcp(dt(DATA)), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.9 and r.metadata == {"spdu": "data"}


NEAR_MISSES = [
    FlowView.tcp(CR, CC),                                                 # a connect alone
    FlowView.tcp(CR + dt(CONNECT.replace(hx("28ca2202"), hx("2b060104")))),   # no MMS OID
    FlowView.tcp(CR + dt(CONNECT[:1] + bytes([CONNECT[1] + 1]) + CONNECT[2:])),   # SPDU length off
    FlowView.tcp(dt(hx("320100000001000800 00f0000001000101e0"))),        # S7comm
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "iso9506-mms")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
