"""Oracle TNS: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "oracle")

DESC = b"(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME=ORCL))(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=1521)))"


def connect(desc=DESC, ver=314, compat=300, hw1=0x0001):
    # version, compatible version, service options, SDU, TDU, NT characteristics, line
    # turnaround, value of 1 in hardware, data length, data offset (50), max receivable,
    # connect flags 0/1, two trace items, unique connection id
    body = struct.pack(">HHHHHHHHHHIBBII8s", ver, compat, 0x0c41, 8192, 32767, 0x4f98, 0, hw1,
                       len(desc), 50, 2048, 0x41, 0x41, 0, 0, bytes(8))
    # header: packet length, checksum 0, type 1 CONNECT, reserved, header checksum 0
    return struct.pack(">HHBBH", 8 + len(body) + len(desc), 0, 1, 0, 0) + body + desc


# ACCEPT: header (type 2), version 314, options, SDU, TDU, hardware one, data 0 at 32, flags
ACCEPT = struct.pack(">HHBBH", 32, 0, 2, 0, 0) + struct.pack(">HHHHHHHBB", 314, 1, 8192, 32767, 0x0100, 0, 32, 0x41, 1) + bytes(8)

# pcaps/corpus/oracle-1.pcap (spec-built): CONNECT and ACCEPT.
FX = Fx("oracle-connect-accept", "oracle", FlowView.tcp(connect(), ACCEPT), first="c",
        meta={"version": 314, "answer": "ACCEPT"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(connect(), ACCEPT[:4] + b"\x06" + ACCEPT[5:]),     # the server sends DATA, not an answer
    FlowView.tcp(connect(ver=200, compat=200)),                      # a version below 300
    FlowView.tcp(connect(compat=316)),                               # compatible above the version
    FlowView.tcp(connect(hw1=0x0002)),                               # not "1 in hardware"
    FlowView.tcp(connect(desc=b"X" + DESC[1:])),                     # the data is no descriptor
    FlowView.tcp(connect()[:4] + b"\x06" + connect()[5:]),           # a DATA packet, not CONNECT
    FlowView.tcp(b"\x00\x50" + connect()[2:]),                       # the length disagrees with the data
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_connect_data_in_the_next_packet():
    big = b"(DESCRIPTION=" + b"(X=Y)" * 60 + b")"
    c = connect(big)
    head = struct.pack(">H", 50) + c[2:50]                # a CONNECT of 50 bytes, the data after it
    r = SPEC.probe(FlowView.tcp(head + big, ACCEPT), {})
    assert r.outcome == Outcome.MATCH


def test_positive():
    check_positive(FX, "oracle")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
