"""X11 (X Window System Protocol, connection setup): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "x11")

NAME = b"MIT-MAGIC-COOKIE-1"


def setup(order=0x6C, major=11, name=NAME, data=bytes(16)):
    """Connection setup: byte order ("l": LSB first), unused, version 11.0, name and
    data lengths, unused, then the name and the data padded to 4 bytes."""
    e = "<" if order == 0x6C else ">"
    return (bytes([order, 0]) + struct.pack(e + "HHHH", major, 0, len(name), len(data)) + bytes(2)
            + name + bytes(-len(name) % 4) + data + bytes(-len(data) % 4))


SUCCESS = struct.pack("<BxHHH", 1, 11, 0, 8) + bytes(32)                 # Success, 11.0, 8 words follow
# pcaps/corpus/x11-1.pcap (spec-built): setup and Success.
FX = Fx("x11-setup", "x11", FlowView.tcp(setup(), SUCCESS), first="c",
        meta={"byte_order": "lsb", "auth": "MIT-MAGIC-COOKIE-1", "result": "success"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(setup(major=10), SUCCESS),   # protocol version 10
    FlowView.tcp(setup() + b"\0"),   # a byte beyond the setup before any answer
    FlowView.tcp(setup(name=b"\x01\x02"), SUCCESS),   # an unprintable authorization name
    FlowView.tcp(setup(), b"\x07" + SUCCESS[1:]),   # answer code 7
    FlowView.tcp(setup(), SUCCESS[:2] + struct.pack("<H", 10) + SUCCESS[4:]),   # the server answers another version
    FlowView.tcp(b"l\x01" + setup()[2:]),   # the unused byte set
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "x11")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_msb_first():
    r = SPEC.probe(FlowView.tcp(setup(0x42)), {})
    assert r.outcome == Outcome.MATCH and r.metadata["byte_order"] == "msb" and r.confidence < 0.95
