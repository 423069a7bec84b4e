"""ZeroMQ ZMTP 3: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "zeromq")

def greeting(mech=b"NULL", as_server=0, minor=1, major=3):
    """signature FF, 8 padding bytes (libzmq: 00...01), 7F; version; mechanism padded to 20
    bytes; as-server; 31 zero bytes of filler."""
    return (b"\xff" + bytes(7) + b"\x01" + b"\x7f" + bytes([major, minor]) + mech.ljust(20, b"\x00")
            + bytes([as_server]) + bytes(31))


# pcaps/corpus/zeromq-1.pcap (spec-built): both greetings.
FX = Fx("zeromq-greetings", "zeromq", FlowView.tcp(greeting(), greeting(as_server=1)), first="c",
        meta={"version": "3.1", "mechanism": "NULL"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(greeting(), greeting(b"PLAIN", 1)),           # mechanisms disagree
    FlowView.tcp(greeting(major=2), greeting(major=2)),        # not ZMTP 3
    FlowView.tcp(greeting(b"NULX"), greeting(b"NULX")),        # not a mechanism
    FlowView.tcp(greeting()[:40] + b"\x01" + greeting()[41:]),  # filler not zero
    FlowView.tcp(b"\xff" + bytes(8) + b"\x7e" + greeting()[10:]),   # signature's last byte
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_one_greeting_waits():
    assert SPEC.probe(FlowView.tcp(greeting()), {}).outcome == Outcome.NEED_MORE


def test_positive():
    check_positive(FX, "zeromq")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
