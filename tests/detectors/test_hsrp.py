"""HSRP v1 (RFC 2281) and v2: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "hsrp")

def v1(state, group=1):
    """HSRPv1 (RFC 2281 5.1): version 0, op hello, state, hello 3 s, hold 10 s,
    priority 110, group, reserved, "cisco" authentication, virtual IP."""
    return struct.pack(">8B", 0, 0, state, 3, 10, 110, group, 0) + b"cisco\0\0\0" + bytes([127, 0, 0, 254])


# pcaps/corpus/hsrp-1.pcap (spec-built): a router's hellos, speak then active.
FX = Fx("hsrp-hello", "hsrp", FlowView.udp([v1(4), v1(16)], []), first="c",
        meta={"version": 1, "op": "hello", "state": "speak", "group": 1},
        trunc=FlowView.udp([v1(4)[:3]]))
V2 = (struct.pack(">BB", 1, 40) + struct.pack(">BBBBH6sIII", 2, 0, 16, 4, 10, bytes(6), 100, 3000, 10000)
      + bytes([10, 0, 0, 1]) + bytes(12))                           # Group State TLV, IPv4 address


@pytest.mark.parametrize("view", [
    FlowView.udp([v1(3)]),   # state 3 is none
    FlowView.udp([v1(4) + b"\0"]),   # a v1 message is 20 bytes
    FlowView.udp([v1(4)[:7] + b"\x01" + v1(4)[8:]]),   # reserved byte set
    FlowView.udp([V2[:-1]]),   # a v2 TLV overrunning the datagram
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "hsrp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_version_2():
    r = SPEC.probe(FlowView.udp([V2]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"version": 2, "op": "hello", "state": "active", "group": 10}


def test_version_2_advertisements_wait_for_a_group_state():
    adv = struct.pack(">BBHH", 2, 4, 0, 1)                          # Interface State TLV: 0 active, 1 passive
    assert SPEC.probe(FlowView.udp([adv, adv]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.udp([adv, V2]), {}).outcome == Outcome.MATCH
