"""IEEE C37.118 synchrophasor: the detector on its fixture (bytes of pcaps/corpus/ieee-c37118-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "ieee-c37118")

# ieee-c37118-1.pcap: the PDC asks for configuration 2 (command 5), the PMU answers.
CMD = hx("aa",          # SYNC
         "41",          # frame type 4 (command), version 1
         "0012",        # FRAMESIZE 18
         "1e36",        # IDCODE 7734
         "6b155098",    # SOC
         "00000000",    # FRACSEC
         "0005",        # command: send CFG-2
         "443e")        # CHK: CRC-CCITT
CFG = hx("aa31004a1e366b15509800000000000f42400001") + b"PORTLENS PMU 1  " + hx(
    "1e360000000100000000") + b"VA              " + hx("00000001 0000 0001 001e c2e3")
FX = Fx("ieee-c37118-config", "ieee-c37118", FlowView.tcp(CMD, CFG), first="c",
        meta={"frame_type": "command", "idcode": 7734})

NEAR_MISSES = [
    FlowView.tcp(CMD[:-1] + b"\x3f"),                  # CHK wrong
    FlowView.tcp(CMD[:1] + b"\x71" + CMD[2:]),         # frame type 7
    FlowView.tcp(CMD[:1] + b"\x44" + CMD[2:]),         # version 4
    FlowView.udp([CMD + b"\x00"]),                     # FRAMESIZE != datagram
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "ieee-c37118")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
