"""DRDA / DDM (Open Group DRDA, DB2): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "drda")

def dss(fmt, cp, params):
    """DSS header: length, 0xD0, format (type 1 request / 2 reply), correlation 1;
    DDM: length (DSS less 6), code point."""
    return struct.pack(">HBBHHH", 10 + len(params), 0xD0, fmt, 1, 4 + len(params), cp) + params


EXT = "db2jcc_application".encode("cp500")                          # EBCDIC, as DB2 sends it
SRV = "QDB2/LINUXX8664".encode("cp500")
# pcaps/corpus/drda-1.pcap (spec-built): EXCSAT and EXCSATRD.
FX = Fx("drda-excsat", "drda", FlowView.tcp(
    dss(0x41, 0x1041, struct.pack(">HH", 4 + len(EXT), 0x115E) + EXT),   # EXCSAT(EXTNAM)
    dss(0x02, 0x1443, struct.pack(">HH", 4 + len(SRV), 0x1147) + SRV),   # EXCSATRD(SRVCLSNM)
), first="c", meta={"codepoint": "EXCSAT"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(dss(0x41, 0x1041, bytes(8))[:2] + b"\xd1" + dss(0x41, 0x1041, bytes(8))[3:]),   # not the 0xD0 magic
    FlowView.tcp(dss(0x41, 0x1041, bytes(8))[:6] + b"\0\x05" + dss(0x41, 0x1041, bytes(8))[8:]),   # DDM length disagrees
    FlowView.tcp(dss(0x49, 0x1041, bytes(8))),   # DSS type 9
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "drda")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
