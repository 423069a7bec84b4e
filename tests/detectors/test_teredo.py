"""Teredo (RFC 4380): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "teredo")

def ipv6(nh, payload):
    """An IPv6 header (version 6, payload length, next header, hop limit 255), fe80::1 -> ff02::2."""
    return (struct.pack(">IHBB", 0x60000000, len(payload), nh, 255)
            + bytes.fromhex("fe800000000000000000000000000001") + bytes.fromhex("ff020000000000000000000000000002")
            + payload)


AUTH = struct.pack(">HBB", 1, 0, 0) + bytes(8) + b"\0"             # auth indicator: no id, no value, nonce, confirmation
ORIGIN = struct.pack(">HH4s", 0, 0x1234 ^ 0xffff, bytes([0x80, 0xff, 0xff, 0xfe]))   # origin indication (obfuscated)
RS = struct.pack(">BBHI", 133, 0, 0, 0)                             # ICMPv6 router solicitation
RA = struct.pack(">BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)        # router advertisement
# pcaps/corpus/teredo-1.pcap (spec-built): qualification, RS with auth, RA with origin.
FX = Fx("teredo-qualification", "teredo", FlowView.udp([AUTH + ipv6(58, RS)], [AUTH + ORIGIN + ipv6(58, RA)]),
        first="c", meta={"kinds": "auth,ipv6,origin", "next_header": 58},
        trunc=FlowView.udp([(AUTH + ipv6(58, RS))[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([ipv6(58, RS) + b"\0"]),   # the payload length does not cover the datagram
    FlowView.udp([b"\x45" + ipv6(58, RS)[1:]]),   # an IPv4 header
    FlowView.udp([ipv6(99, RS)]),   # an unlikely next header
    FlowView.udp([AUTH[:2] + b"\x40\x40" + ipv6(58, RS)]),   # an auth indicator longer than the datagram
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "teredo")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_bubble():
    r = SPEC.probe(FlowView.udp([ipv6(59, b"")]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["kinds"] == "bubble"
