"""AFS Rx RPC: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "rx")

EPOCH, CID = 0xe5a1b2c3, 0x12345600


def rx(call, seq, serial, ptype, flags, payload=b""):
    """Rx header: epoch, cid, call, seq, serial, type, flags, user status, security
    index, spare, service id 52 (VL)."""
    return struct.pack(">IIIIIBBBBHH", EPOCH, CID, call, seq, serial, ptype, flags, 0, 0, 0, 52) + payload


# pcaps/corpus/rx-1.pcap (spec-built): a VL call, the reply, the client's ack.
FX = Fx("rx-vl-call", "rx", FlowView.udp(
    [rx(1, 1, 1, 1, 0x05, bytes(16)), rx(1, 0, 2, 2, 0x01, bytes(18))],   # data (client, last), ack
    [rx(1, 1, 1, 1, 0x04, bytes(68))]),                              # reply data (last)
    first="c", meta={"service_id": 52, "types": "data,ack"}, trunc=FlowView.udp([rx(1, 1, 1, 1, 5)[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([rx(1, 1, 1, 1, 0x05)], [rx(1, 1, 1, 1, 0x05)]),   # both sides claim to be the client
    FlowView.udp([rx(1, 1, 1, 1, 0x04), rx(1, 2, 2, 1, 0x04)]),   # the first sender is not a call's client
    FlowView.udp([rx(1, 1, 2, 1, 0x05), rx(1, 2, 2, 1, 0x05)]),   # serial numbers not increasing
    FlowView.udp([rx(1, 1, 1, 11, 0x05), rx(1, 2, 2, 1, 0x05)]),   # packet type 11
    FlowView.udp([b"ESIO" + rx(1, 1, 1, 1, 0)[4:], b"ESIO" + rx(2, 1, 1, 1, 0)[4:]]),   # EtherSIO-like frames: no client bit
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "rx")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_one_datagram_is_not_enough():
    assert SPEC.probe(FlowView.udp([rx(1, 1, 1, 1, 0x05)]), {}).outcome == Outcome.NEED_MORE


def test_an_epoch_that_reads_as_a_coap_header_stays_rx():
    """An epoch whose top byte is 0x40 makes every datagram open like a CoAP header
    (version 1, confirmable, no token) with the same code byte both ways: one header
    seen twice, not a request and its answer, so CoAP does not call it certain."""
    from classifier.detectors.engine import Engine
    c = [b"\x40" + d[1:] for d in FX.view.datagrams_c2s]
    s = [b"\x40" + d[1:] for d in FX.view.datagrams_s2c]
    assert Engine().classify(FlowView.udp(c, s)).protocol == "rx"
