"""AFP over DSI (Apple Filing Protocol over TCP): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "afp")

# pcaps/corpus/afp-1.pcap (spec-built): DSIGetStatus and its reply.
STATUS = bytes(8) + b"\x0aportlens-fs" + bytes(5)
FX = Fx("afp-getstatus", "afp", FlowView.tcp(
    struct.pack(">BBHIII", 0, 3, 1, 0, 0, 0),                       # request, GetStatus, id 1, no data
    struct.pack(">BBHIII", 1, 3, 1, 0, len(STATUS), 0) + STATUS,    # reply, same command and id
), first="c", meta={"command": "GetStatus"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(struct.pack(">BBHIII", 0, 3, 1, 0, 0, 0), struct.pack(">BBHIII", 1, 3, 2, 0, 0, 0)),   # the reply's id differs
    FlowView.tcp(struct.pack(">BBHIII", 0, 9, 1, 0, 0, 0), struct.pack(">BBHIII", 1, 9, 1, 0, 0, 0)),   # command 9
    FlowView.tcp(struct.pack(">BBHIII", 0, 3, 1, 0, 0, 1), struct.pack(">BBHIII", 1, 3, 1, 0, 0, 0)),   # reserved word set
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "afp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
