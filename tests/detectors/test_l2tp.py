"""L2TP version 2: the detector on its fixture (the bytes of pcaps/corpus/l2tp-1.pcap, a
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

SPEC = next(s for s in detector_list.SPECS if s.name == "l2tp")

def avp(attr, value, m=True):
    return ((0x8000 if m else 0) | (6 + len(value))).to_bytes(2, "big") + bytes(2) + attr.to_bytes(2, "big") + value


def ctl(tunnel, ns, nr, avps=b""):
    return (hx("c8",                     # T, L, S set
               "02")                     # version 2
            + (12 + len(avps)).to_bytes(2, "big")   # length = the datagram
            + tunnel.to_bytes(2, "big") + bytes(2)  # tunnel id, session id 0
            + ns.to_bytes(2, "big") + nr.to_bytes(2, "big")   # Ns, Nr
            + avps)


SCCRQ = ctl(0, 0, 0, avp(0, hx("0001"))       # Message Type: SCCRQ (M set)
            + avp(2, hx("0100"))              # Protocol Version 1.0
            + avp(7, b"portlens-lac")         # Host Name
            + avp(9, hx("1a2b")))             # Assigned Tunnel ID
SCCRP = ctl(0x1A2B, 0, 1, avp(0, hx("0002")) + avp(2, hx("0100")) + avp(7, b"portlens-lns") + avp(9, hx("3c4d")))

# l2tp-1.pcap: the tunnel's first request and reply.
FX = Fx("l2tp-sccrq", "l2tp", FlowView.udp([SCCRQ], [SCCRP]), first="c",
        meta={"message": "SCCRQ", "tunnel_id": 0})
TRUNC = FlowView.udp([SCCRQ[:3]])


def test_one_message_is_weaker():
    assert SPEC.probe(FlowView.udp([SCCRQ]), {}).confidence < SPEC.probe(FX.view, {}).confidence


def test_zlb_alone_is_not_enough():
    assert SPEC.probe(FlowView.udp([ctl(5, 1, 1)]), {}).outcome != Outcome.MATCH


def ctl3(conn, ns, nr, avps=b""):
    """An L2TPv3 control message over UDP (RFC 3931 4.1.2.1)."""
    return (hx("c803")                   # T, L, S set; version 3
            + (12 + len(avps)).to_bytes(2, "big")   # length
            + conn.to_bytes(4, "big")    # control connection id
            + ns.to_bytes(2, "big") + nr.to_bytes(2, "big")
            + avps)


SCCRQ3 = ctl3(0, 0, 0, avp(0, hx("0001")) + avp(7, b"portlens-lcce"))
ACK3 = ctl3(0x01020304, 1, 1, avp(0, hx("0014")))   # the version 3 explicit ACK (20)


def test_version_3():
    r = SPEC.probe(FlowView.udp([SCCRQ3], [ACK3]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.95
    assert r.metadata == {"message": "SCCRQ", "tunnel_id": 0}


NEAR_MISSES = [
    FlowView.udp([ctl(0, 0, 0, avp(0, hx("0014")))]),       # ACK (20) in a version 2 message
    FlowView.udp([hx("c804") + SCCRQ3[2:]]),                # version 4
    FlowView.udp([SCCRQ + b"\x00"]),                         # length one short of the datagram
    FlowView.udp([hx("ca02") + SCCRQ[2:]]),                  # O bit set on a control message
    FlowView.udp([SCCRQ[:12] + hx("0008") + SCCRQ[14:]]),    # Message Type AVP without M
    FlowView.udp([SCCRQ[:18] + hx("0005") + SCCRQ[20:]]),    # message type 5 (reserved)
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "l2tp")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
