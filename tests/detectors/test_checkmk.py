"""Checkmk agent output: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "checkmk")

# pcaps/corpus/checkmk-1.pcap (spec-built): the agent's report, unasked.
FX = Fx("checkmk-report", "checkmk", FlowView.tcp(
    b"",
    b"<<<check_mk>>>\nVersion: 2.2.0p1\nAgentOS: linux\nHostname: portlens-node\n"
    b"<<<uptime>>>\n12345.67 23456.78\n",
), first="s", meta={"version": "2.2.0p1", "agent_os": "linux"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"", b"<<<check_mk>>> \n"),   # a space after the header
    FlowView.tcp(b"", b"<<<uptime>>>\n123\n"),   # another section first
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "checkmk")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
