"""Diameter base protocol (RFC 6733): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "diameter")

def avp(code, data):
    """AVP: code, flags M (0x40), length (8 + data), data padded to 4 bytes."""
    return struct.pack(">II", code, 0x40 << 24 | (8 + len(data))) + data + bytes(-len(data) % 4)


def msg(flags, avps, code=257):
    """Header: version 1, length, flags (R 0x80), command code, application 0, ids."""
    body = b"".join(avps)
    return struct.pack(">II", 1 << 24 | (20 + len(body)), flags << 24 | code) + struct.pack(">III", 0, 0x1234, 0x5678) + body


AVPS = [avp(264, b"portlens.test"), avp(296, b"test"), avp(266, struct.pack(">I", 0))]   # Origin-Host, -Realm, Vendor-Id
# pcaps/corpus/diameter-1.pcap (spec-built): Capabilities-Exchange-Request / Answer.
FX = Fx("diameter-cer", "diameter", FlowView.tcp(msg(0x80, AVPS), msg(0x00, [avp(268, struct.pack(">I", 2001))] + AVPS)),
        first="c", meta={"command": "Capabilities-Exchange", "request": True})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"\x02" + msg(0x80, AVPS)[1:]),   # version 2
    FlowView.tcp(msg(0x81, AVPS)),   # a reserved flag bit
    FlowView.tcp(msg(0x80, [avp(264, b"x")[:4] + struct.pack(">I", 0x40 << 24 | 4) + bytes(4)])),   # an AVP length below 8
    FlowView.tcp(struct.pack(">I", 1 << 24 | 22) + msg(0x80, AVPS)[4:]),   # a length that is no multiple of 4
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "diameter")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
