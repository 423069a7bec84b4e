"""PPTP control connection (RFC 2637): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "pptp")

def sccr(ctype, host):
    """Start-Control-Connection-Request/Reply (RFC 2637 2.1-2.2): length 156, control
    message, magic cookie, type, reserved; version 1.0, framing, bearer, channels,
    firmware, host name, vendor."""
    return (struct.pack(">HHIHH", 156, 1, 0x1A2B3C4D, ctype, 0) + struct.pack(">HH", 0x0100, 0)
            + struct.pack(">IIHH", 1, 1, 1, 0x0100) + host.ljust(64, b"\0") + b"spec-built".ljust(64, b"\0"))


# pcaps/corpus/pptp-1.pcap (spec-built): SCCRQ / SCCRP.
FX = Fx("pptp-sccrq", "pptp", FlowView.tcp(sccr(1, b"portlens-client"), sccr(2, b"portlens-server")), first="c",
        meta={"message": "Start-Control-Connection-Request", "hostname": "portlens-client", "vendor": "spec-built"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(sccr(1, b"h")[:4] + b"\x1a\x2b\x3c\x4e" + sccr(1, b"h")[8:]),   # not the magic cookie
    FlowView.tcp(b"\0\x9d" + sccr(1, b"h")[2:]),   # a length that is not the message's
    FlowView.tcp(sccr(1, b"h")[:8] + b"\0\x63" + sccr(1, b"h")[10:]),   # control message type 99
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "pptp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
