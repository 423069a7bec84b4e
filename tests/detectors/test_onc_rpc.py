"""ONC RPC / SunRPC (RFC 5531), portmapper (RFC 1833) and other programs: the detector on its fixture (spec-built bytes, commented field by field):
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
from rpc_bytes import mark, rpc_call, rpc_reply

SPEC = next(s for s in detector_list.SPECS if s.name == "onc-rpc")

# pcaps/corpus/onc-rpc-1.pcap (spec-built): portmapper GETPORT(nfs, v3, udp) -> 2049.
FX = Fx("onc-rpc-getport", "onc-rpc", FlowView.udp(
    [rpc_call(0x00c0ffee, 100000, 2, 3,                             # PMAP v2, GETPORT
              struct.pack(">IIII", 100003, 3, 17, 0))],             # prog, vers, prot udp, port
    [rpc_reply(0x00c0ffee, struct.pack(">I", 2049))],               # port 2049
), first="c", meta={"program": 100000, "program_name": "portmapper", "version": 2, "procedure": 3})
TCP = FlowView.tcp(mark(rpc_call(9, 100024, 1, 0)), mark(rpc_reply(9)))   # status (NSM) NULL over TCP


@pytest.mark.parametrize("view", [
    FlowView.udp([rpc_call(1, 100003, 3, 1)], [rpc_reply(1)]),   # NFS: the nfs detector's
    FlowView.udp([rpc_reply(1)], [rpc_reply(2)]),   # replies only
    FlowView.udp([struct.pack(">II", 1, 2) + bytes(40)]),   # msg_type 2
    FlowView.tcp(struct.pack(">I", 0x80000008) + bytes(8)),   # a record too short for any message
    FlowView.udp([rpc_call(1, 100000, 2, 3)[:36]]),   # a call cut inside its credential: a datagram is whole
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "onc-rpc")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_tcp_record_marking():
    r = SPEC.probe(TCP, {})
    assert r.outcome == Outcome.MATCH and r.metadata["program_name"] == "status"


def test_a_matching_xid_raises_the_confidence():
    call_only = SPEC.probe(FlowView.udp([FX.view.datagrams_c2s[0]]), {})
    assert call_only.outcome == Outcome.MATCH and call_only.confidence < SPEC.probe(FX.view, {}).confidence
