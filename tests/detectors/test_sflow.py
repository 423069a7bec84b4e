"""sFlow v5: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "sflow")

COUNTERS = struct.pack(">II", 1, 88) + bytes(88)                  # generic interface counters record
SAMPLE = struct.pack(">III", 1, 1, 1) + COUNTERS                     # sequence, source id, one record
# pcaps/corpus/sflow-1.pcap (spec-built): one counters sample.
DG = (struct.pack(">II4sIII", 5, 1, bytes([127, 0, 0, 1]), 0, 1, 60000)   # v5, IPv4 agent, sub-agent, seq, uptime
      + struct.pack(">I", 1) + struct.pack(">II", 2, len(SAMPLE)) + SAMPLE)   # 1 sample: counters (2)
FX = Fx("sflow-counters", "sflow", FlowView.udp([DG], []), first="c", meta={"version": 5, "samples": 1},
        trunc=FlowView.udp([DG[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([DG[:4] + b"\0\0\0\x03" + DG[8:]]),   # agent address type 3
    FlowView.udp([DG[:24] + b"\0\0\0\x02" + DG[28:]]),   # two samples announced, one present
    FlowView.udp([DG + bytes(4)]),   # bytes after the last sample
    FlowView.udp([b"\0\0\0\x04" + DG[4:]]),   # version 4
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "sflow")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
