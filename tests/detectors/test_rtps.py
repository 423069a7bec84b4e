"""RTPS (DDS): the detector on its fixture (bytes of pcaps/corpus/rtps-2.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "rtps")

PREFIX_A, PREFIX_B = hx("872758a6a40583342233f550"), hx("201e5cda6772b228eeefc503")
# rtps-2.pcap: a HEARTBEAT, answered by INFO_DST + ACKNACK.
HB = (b"RTPS" + hx("0203",        # protocol version 2.3
                   "010f")        # vendor id
      + PREFIX_A                  # GUID prefix
      + hx("07 01 1c00",          # HEARTBEAT, little-endian, 28 bytes
           "000004c7 000004c2",   # reader id, writer id
           "00000000 01000000",   # first sequence number 1
           "00000000 03000000",   # last sequence number 3
           "01000000"))           # count
ACK = (b"RTPS" + hx("0203 010f") + PREFIX_B
       + hx("0e 01 0c00") + PREFIX_A                                   # INFO_DST
       + hx("06 03 1800 000004c7 000004c2 00000000 04000000 00000000 01000000"))   # ACKNACK
FX = Fx("rtps-heartbeat", "rtps", FlowView.udp([HB], [ACK]), first="c",
        meta={"vendor_id": "010f", "version": "2.3"})


def test_ping():
    # RTI Connext's liveliness ping: header then "NDDSPING", 16 bytes.
    r = SPEC.probe(FlowView.udp([b"RTPS" + hx("0201 0101") + b"NDDSPING"]), {})
    assert r.outcome == Outcome.MATCH


NEAR_MISSES = [
    FlowView.udp([HB[:20] + hx("02") + HB[21:]]),      # submessage id 0x02 is not defined
    FlowView.udp([HB[:22] + hx("2000") + HB[24:]]),    # submessage runs past the datagram
    FlowView.udp([HB[:4] + hx("03") + HB[5:]]),        # protocol version 3
    FlowView.udp([HB[:20]]),                           # a header without submessages
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "rtps")


def test_truncated_needs_more():
    v = FX.view
    first = v.payload_c2s[:3] if FX.first == "c" else v.payload_s2c[:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
