"""Lustre LNet over TCP (socklnd): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "lustre")

ME = struct.unpack("<Q", bytes([1, 0, 0, 127, 0, 0, 2, 0]))[0]     # NID 127.0.0.1@tcp (type 2)
PEER = struct.unpack("<Q", bytes([2, 0, 0, 127, 0, 0, 2, 0]))[0]


def hello(src, dst, version=3):
    """ksock HELLO: magic 0x45726963, version, NIDs, PIDs 12345, incarnations, type, no IPs."""
    return struct.pack("<IIQQIIQQII", 0x45726963, version, src, dst, 12345, 12345, 0x17f0820a, 0, 1, 0)


ACCEPTOR = struct.pack("<IIQ", 0xACCE7100, 1, PEER)                   # acceptor magic, version 1, target NID
PUT = struct.pack("<IIQQ", 0xC1, 0, 0, 0) + struct.pack("<QQIIII", PEER, ME, 12345, 12345, 1, 64) + bytes(40)
# pcaps/corpus/lustre-1.pcap (spec-built): acceptor request and HELLO, the peer's HELLO.
FX = Fx("lustre-hello", "lustre", FlowView.tcp(ACCEPTOR + hello(ME, PEER), hello(PEER, ME)), first="c",
        meta={"kind": "acceptor", "version": 3})


@pytest.mark.parametrize("view", [
    FlowView.tcp(ACCEPTOR[:4] + struct.pack("<I", 2) + ACCEPTOR[8:] + hello(ME, PEER)),   # acceptor version 2
    FlowView.tcp(ACCEPTOR + hello(ME, PEER, version=9)),   # HELLO version 9
    FlowView.tcp(hello(ME, 0)[:8] + struct.pack("<Q", 0x7f000001) + hello(ME, 0)[16:]),   # a NID of network type 0
    FlowView.tcp(PUT[:48] + struct.pack("<I", 9) + PUT[52:]),   # LNet message type 9
    FlowView.tcp(struct.pack("<IIQQ", 0xC0, 0, 0, 0) + bytes(40)),   # a noop alone
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "lustre")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_mid_stream_lnet_message():
    r = SPEC.probe(FlowView.tcp(PUT), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"kind": "lnet", "version": 3} and r.confidence < 0.9


def test_big_endian_peer():
    be = struct.pack(">IIQ", 0xACCE7100, 1, PEER) + struct.pack(">IIQQ", 0x45726963, 3, ME, PEER) + bytes(32)
    assert SPEC.probe(FlowView.tcp(be), {}).outcome == Outcome.MATCH
