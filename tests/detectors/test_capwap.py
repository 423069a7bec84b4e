"""CAPWAP (RFC 5415): the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine, FlowSession
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, Fx, hx  # noqa: F401  (hx: hex fixtures)

SPEC = next(s for s in detector_list.SPECS if s.name == "capwap")

def control(mtype, elements):
    """CAPWAP header (RFC 5415 4.3): preamble 0, HLEN 2, RID 0, WBID 1, no flags,
    fragment 0; then the control header: type, sequence, element length, flags."""
    return (struct.pack(">I", (2 << 19) | (1 << 9)) + struct.pack(">HH", 0, 0)
            + struct.pack(">IBHB", mtype, 0, len(elements) + 3, 0) + elements)


# pcaps/corpus/capwap-1.pcap (spec-built): Discovery Request / Response.
REQ = control(1, struct.pack(">HHB", 20, 1, 0) + struct.pack(">HHI", 38, 4, 0))   # Discovery Type, WTP Board Data
RESP = control(2, struct.pack(">HHH", 4, 2, 0) + struct.pack(">HH", 4, 0))
FX = Fx("capwap-discovery", "capwap", FlowView.udp([REQ], [RESP]), first="c",
        meta={"kind": "control", "message": "Discovery Request"}, trunc=FlowView.udp([REQ[:3]]))
DTLS = b"\x01\0\0\0" + bytes([22, 0xfe, 0xfd]) + bytes(8) + struct.pack(">H", 12) + bytes(12)


@pytest.mark.parametrize("view", [
    FlowView.udp([REQ + b"\0"]),   # element length one short
    FlowView.udp([REQ[:8] + struct.pack(">I", 99) + REQ[12:]]),   # message type 99
    FlowView.udp([struct.pack(">I", (2 << 19) | (2 << 9)) + REQ[4:]]),   # WBID 2
    FlowView.udp([b"\x10" + REQ[1:]]),   # CAPWAP version 1
    FlowView.udp([DTLS[:4] + b"\x30" + DTLS[5:]]),   # not a DTLS content type
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    label = Engine().classify(FX.view)
    assert label.protocol == "capwap", (label.protocol, label.pending, label.errors)
    for key, value in FX.meta.items():
        assert label.metadata.get(key) == value, key


def test_truncated_needs_more():
    if FX.trunc is not None:
        assert SPEC.probe(FX.trunc, {}).outcome == Outcome.NEED_MORE
        return
    v = FX.view
    first = (v.datagrams_c2s if FX.first == "c" else v.datagrams_s2c)[0][:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    from test_detectors import growing_views
    session, label = FlowSession(), None
    engine = Engine()
    for view in growing_views(FX):
        assert SPEC.probe(view, {}).outcome != Outcome.NO_MATCH, view
        label = engine.classify(view, session)
    assert label is not None and label.protocol == "capwap"


def test_no_other_detector_claims_it():
    for spec in detector_list.SPECS:
        if spec.probe and spec.name != "capwap" and FX.view.transport in spec.transports:
            assert spec.probe(FX.view, {}).outcome != Outcome.MATCH, spec.name


@pytest.mark.parametrize("fx", [f for f in FIXTURES if f.view.transport in SPEC.transports],
                         ids=lambda f: f.id)
def test_it_claims_no_other_protocol(fx):
    assert SPEC.probe(fx.view, {}).outcome != Outcome.MATCH


def test_dtls_needs_a_second_datagram():
    assert SPEC.probe(FlowView.udp([DTLS]), {}).outcome == Outcome.NEED_MORE
    r = SPEC.probe(FlowView.udp([DTLS], [DTLS]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"kind": "dtls"}
