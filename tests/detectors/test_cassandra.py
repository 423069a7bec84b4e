"""Cassandra CQL native protocol: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "cassandra")

def frame(version, stream, opcode, body=b""):
    """version, flags 0, int16 stream, opcode, int32 length, body."""
    return struct.pack(">BBhBI", version, 0, stream, opcode, len(body)) + body


def string(s):
    return struct.pack(">H", len(s)) + s


# STARTUP (v4, stream 0): string map {CQL_VERSION: 3.0.0, DRIVER_NAME: portlens}
STARTUP = frame(4, 0, 0x01, b"\x00\x02" + string(b"CQL_VERSION") + string(b"3.0.0")
                + string(b"DRIVER_NAME") + string(b"portlens"))
READY = frame(0x84, 0, 0x02)                      # READY: response version, same stream, empty
OPTIONS = frame(4, 0, 0x05)                       # OPTIONS: empty body
SUPPORTED = frame(0x84, 0, 0x06, b"\x00\x01" + string(b"CQL_VERSION") + b"\x00\x01" + string(b"3.4.5"))

# pcaps/corpus/cassandra-2.pcap (spec-built): STARTUP and the server's answer.
FX = Fx("cassandra-startup", "cassandra", FlowView.tcp(STARTUP, READY), first="c",
        meta={"version": 4, "opcode": "STARTUP", "cql_version": "3.0.0"})


def test_options_supported():
    r = SPEC.probe(FlowView.tcp(OPTIONS, SUPPORTED), {})
    assert r.outcome == Outcome.MATCH and r.metadata["opcode"] == "OPTIONS"


@pytest.mark.parametrize("view", [
    FlowView.tcp(STARTUP, frame(0x84, 1, 0x02)),          # another stream id
    FlowView.tcp(STARTUP, frame(0x84, 0, 0x08)),          # RESULT does not answer STARTUP
    FlowView.tcp(STARTUP[:8] + b"\x10" + STARTUP[9:]),    # the length disagrees with the map
    FlowView.tcp(frame(4, 0, 0x07, b"\x00" * 8)),         # QUERY before STARTUP
    FlowView.tcp(frame(4, 0, 0x05, b"\x00\x00")),         # OPTIONS with a body
    FlowView.tcp(b"\x04\x01" + OPTIONS[2:]),              # compression before STARTUP
    FlowView.tcp(frame(2, 0, 0x05)),                      # protocol v2 (an 8-byte header)
    FlowView.tcp(frame(4, 0, 0x01, b"\x00\x01" + string(b"COMPRESSION") + string(b"lz4"))),  # no CQL_VERSION
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "cassandra")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
