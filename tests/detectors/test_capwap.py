"""CAPWAP (RFC 5415): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "capwap")

def control(mtype, elements):
    """CAPWAP header (RFC 5415 4.3): preamble 0, HLEN 2, RID 0, WBID 1, no flags,
    fragment 0; then the control header: type, sequence, element length, flags."""
    return (struct.pack(">I", (2 << 19) | (1 << 9)) + struct.pack(">HH", 0, 0)
            + struct.pack(">IBHB", mtype, 0, len(elements) + 3, 0) + elements)


# pcaps/corpus/capwap-1.pcap (spec-built): Discovery Request / Response.
REQ = control(1, struct.pack(">HHB", 20, 1, 0) + struct.pack(">HHI", 38, 4, 0))   # Discovery Type, WTP Board Data
RESP = control(2, struct.pack(">HHH", 4, 2, 0) + struct.pack(">HH", 4, 0))
FX = Fx("capwap-discovery", "capwap", FlowView.udp([REQ], [RESP]), first="c",
        meta={"kind": "control", "message": "Discovery Request"}, trunc=FlowView.udp([REQ[:3]]))
DTLS = b"\x01\0\0\0" + bytes([22, 0xfe, 0xfd]) + bytes(8) + struct.pack(">H", 12) + bytes(12)


@pytest.mark.parametrize("view", [
    FlowView.udp([REQ + b"\0"]),   # element length one short
    FlowView.udp([REQ[:8] + struct.pack(">I", 99) + REQ[12:]]),   # message type 99
    FlowView.udp([struct.pack(">I", (2 << 19) | (2 << 9)) + REQ[4:]]),   # WBID 2
    FlowView.udp([b"\x10" + REQ[1:]]),   # CAPWAP version 1
    FlowView.udp([DTLS[:4] + b"\x30" + DTLS[5:]]),   # not a DTLS content type
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "capwap")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_dtls_alone_needs_records_filling_it():
    # a DTLS record followed by bytes that are no record: a second datagram must agree
    assert SPEC.probe(FlowView.udp([DTLS + b"\0"]), {}).outcome == Outcome.NEED_MORE
    r = SPEC.probe(FlowView.udp([DTLS + b"\0"], [DTLS]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"kind": "dtls"}


# ../shared/ndpi-dev capwap.pcap, 192.168.10.9:5246 -> :12379, the flow's only datagram: a
# DTLS-protected CAPWAP packet (an encrypted alert of an established session).
DTLS_ALERT = hx(
    "01 000000"                           # preamble: version 0, type 1 (DTLS header), 3 reserved bytes
    "15 feff 0001 000000000001 0030"      # DTLS record: alert (21), DTLS 1.0, epoch 1, sequence 1, length 48
    "91525de0381a81cffbbc5c495068756e8580383b27a1c2ff2011743e05500e53"  # the encrypted alert,
    "52fa6f19e56428296f7985b4b0bf6612")                                  # 48 bytes, ending the datagram


def test_a_lone_dtls_datagram_whose_records_fill_it():
    r = SPEC.probe(FlowView.udp([DTLS_ALERT]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"kind": "dtls"} and r.confidence == 0.7
    # two records chained to the end are as good
    assert SPEC.probe(FlowView.udp([DTLS_ALERT + DTLS[4:]]), {}).outcome == Outcome.MATCH


@pytest.mark.parametrize("dg", [
    DTLS_ALERT[:-1],                                        # the record's length runs past the end
    DTLS_ALERT + b"\x15\xfe\xff",                            # a second record header cut short
    DTLS_ALERT + DTLS[4:5] + b"\xfe\xfc" + DTLS[7:],          # a second record of an unknown version
    DTLS_ALERT[:1] + b"\x01" + DTLS_ALERT[2:],              # a reserved byte set
    DTLS_ALERT[:4] + b"\x18" + DTLS_ALERT[5:],              # content type 24 (heartbeat, not in CAPWAP)
])
def test_lone_dtls_near_misses(dg):
    assert SPEC.probe(FlowView.udp([dg]), {}).outcome != Outcome.MATCH
