"""Protocol Buffers messages written raw over TCP (protobuf.dev "Encoding"): the
detector on spec-built fixtures, commented field by field: positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, messages delimited by
TCP segments (pkt_sizes) and by a newline, near misses for each rule, and no other
detector claims it (nor it another protocol's fixture).

The captures protobuf-1/2.pcap (pcaps/gen/tcpsigs.py) carry messages serialized by the
protobuf library (a schema built at run time; the well-known types Any, Timestamp and
Struct), written on loopback by a spec-built peer one message per TCP write or each
followed by a newline: nothing installable here writes raw messages on TCP without a
framing of its own.  The detector is also checked against real traffic with
tools/ndpi_claims.py (nDPI's protobuf.pcap)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "protobuf")

# One message, fields in ascending order (Encoding's own examples for fields 1 and 2).
MSG = (hx("08" "9601")                     # field 1 VARINT 150 (Encoding, "A Simple Message")
       + hx("12" "07") + b"testing"        # field 2 LEN 7: "testing"
       + hx("1a" "03" "089601")            # field 3 LEN 3: a nested message {1: 150}
       + hx("25") + struct.pack("<f", 1.5)  # field 4 I32: a float
       + hx("29") + struct.pack("<d", 2.25)  # field 5 I64: a double
       + hx("30" "01")                     # field 6 VARINT: true
       + hx("3a" "02" "0102")              # field 7 LEN: packed repeated [1, 2]
       + hx("3a" "02" "0304")              # field 7 again (repeated fields stay together)
       + hx("80 01" "ffffffff0f"))         # field 16 VARINT (a two-byte key) 0xffffffff

FX = Fx("protobuf-message", "protobuf", FlowView.tcp(MSG), first="c",
        meta={"messages": 1, "fields": 9})

# Two short messages, one per TCP segment, each ended by a newline.
SHORT = hx("08" "2a") + hx("12" "02") + b"hi"      # {1: 42, 2: "hi"}: 2 fields


def segmented(*segments, s=b""):
    """A client's segments as the capture reader reports them (pkt_dirs, pkt_sizes)."""
    return FlowView("tcp", b"".join(segments), s, (), (), [0] * len(segments),
                    [len(x) for x in segments])


def test_positive():
    check_positive(FX, "protobuf")


def test_confidence_is_below_one():
    assert SPEC.probe(FX.view, {}).confidence < 1.0 and SPEC.max_confidence < 1.0


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_messages_per_segment_with_newlines():
    view = segmented(SHORT + b"\n", SHORT + b"\n", SHORT + b"\n", SHORT + b"\n")
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"messages": 4, "fields": 8}


def test_field_order_restarts_at_each_segment():
    # without the segment sizes the second message's field 1 follows field 2: refused
    assert SPEC.probe(segmented(SHORT, SHORT, SHORT, SHORT), {}).outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.tcp(SHORT * 4), {}).outcome == Outcome.NO_MATCH


def test_a_message_may_span_segments():
    view = segmented(MSG[:20], MSG[20:])
    assert SPEC.probe(view, {}).outcome == Outcome.MATCH


def test_few_fields_wait():
    assert SPEC.probe(segmented(SHORT + b"\n", SHORT + b"\n"), {}).outcome == Outcome.NEED_MORE


def test_one_field_messages_are_not_enough():
    one = hx("08" "2a")                                   # {1: 42}
    assert SPEC.probe(segmented(*[one] * 10), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = {
    "group wire type": MSG[:3] + hx("13") + MSG[3:],      # field 2, SGROUP (deprecated)
    "wire type 6": MSG[:3] + hx("16" "00") + MSG[3:],
    "field number 0": hx("02" "01" "00") + MSG,           # key 0x02: field 0, LEN
    "descending fields": MSG + hx("08" "01"),             # field 1 after field 16
    "redundant varint group": hx("08" "9680" "00") + MSG[3:],  # 150 written in 3 bytes
    "empty LEN": MSG[:3] + hx("12" "00") + MSG[3:],
    "reserved field 19000": MSG[:-7] + hx("c0a309" "00"),  # key 19000 << 3 (VARINT), 0
    "11-byte varint": hx("08" "ffffffffffffffffff7f") + MSG[3:],
    "6-byte key": hx("80 80 80 80 80 01" "00") + MSG,
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses(name):
    assert SPEC.probe(FlowView.tcp(NEAR_MISSES[name]), {}).outcome == Outcome.NO_MATCH


def test_the_server_side_must_parse_too():
    view = FlowView.tcp(MSG, b"HTTP/1.1 200 OK\r\n\r\n")
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_newline_delimited_messages_without_segment_sizes():
    # a 0x0a that cannot be field 1 of the message (after field 2) ends it
    r = SPEC.probe(FlowView.tcp((SHORT + b"\n") * 4), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"messages": 4, "fields": 8}
