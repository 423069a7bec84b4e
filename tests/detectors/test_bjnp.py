"""Canon BJNP: the detector on its fixture (bytes of pcaps/corpus/bjnp-2.pcap, a spec-built
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

SPEC = next(s for s in detector_list.SPECS if s.name == "bjnp")

IDENT = b"MFG:Canon;CMD:BJL,BJRaster3,NCCe;MDL:TS5000 series;CLS:PRINTER;DES:Canon TS5000 series;"
# bjnp-2.pcap: "get id" to the printer and its reply.
REQ = hx("424a4e50",    # "BJNP"
         "01",          # device type: printer command
         "30",          # command: get id
         "0000",        # reserved
         "0002",        # sequence number
         "0000",        # session id
         "00000000")    # payload length 0
REPLY = hx("424a4e50", "81", "30", "0000", "0002", "0000", "00000059") + hx("0059") + IDENT
FX = Fx("bjnp-get-id", "bjnp", FlowView.udp([REQ], [REPLY]), first="c",
        meta={"magic": "BJNP", "command": 0x30, "reply": False})

NEAR_MISSES = [
    FlowView.udp([REQ[:12] + hx("00000004")]),            # payload length without a payload
    FlowView.udp([REQ[:4] + b"\x05" + REQ[5:]]),          # no such device type
    FlowView.udp([b"BJNX" + REQ[4:]]),                    # another magic
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "bjnp")


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
