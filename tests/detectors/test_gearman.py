"""Gearman: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "gearman")

def packet(magic, ptype, *args):
    """magic, int32 type, int32 size, arguments separated by NUL."""
    data = b"\x00".join(args)
    return magic + struct.pack(">II", ptype, len(data)) + data


# pcaps/corpus/gearman-1.pcap (spec-built): SUBMIT_JOB (function, unique id, workload)
# and JOB_CREATED (the job handle).
SUBMIT = packet(b"\x00REQ", 7, b"reverse", b"", b"hello gearman")
CREATED = packet(b"\x00RES", 8, b"H:lap:1")
FX = Fx("gearman-submit", "gearman", FlowView.tcp(SUBMIT, CREATED), first="c",
        meta={"packet": "SUBMIT_JOB", "function": "reverse"})


def test_worker_can_do_alone_is_claimed_lower():
    r = SPEC.probe(FlowView.tcp(packet(b"\x00REQ", 1, b"reverse")), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.9


@pytest.mark.parametrize("view", [
    FlowView.tcp(packet(b"\x00RES", 8, b"H:lap:1")),              # a response from the client
    FlowView.tcp(packet(b"\x00REQ", 8, b"H:lap:1")),              # JOB_CREATED is not a request
    FlowView.tcp(packet(b"\x00REQ", 99)),                         # no type 99
    FlowView.tcp(packet(b"\x00REQ", 9, b"x")),                    # GRAB_JOB has no arguments
    FlowView.tcp(SUBMIT, packet(b"\x00REQ", 8, b"H:lap:1")),      # the server sends REQ
    FlowView.tcp(packet(b"\x00REQ", 7, b"rev\x01erse", b"", b"x")),  # a control byte in the function name
    FlowView.tcp(b"\x00REQX" + SUBMIT[5:]),                       # not the magic
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "gearman")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
