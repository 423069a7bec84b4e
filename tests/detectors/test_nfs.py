"""NFS (RFC 1813, RFC 7530) over ONC RPC (RFC 5531): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "nfs")

# pcaps/corpus/nfs-1.pcap (spec-built): an NFSv3 GETATTR call and its reply over UDP.
FH = bytes.fromhex("01000701000000000a000000a1b2c3d4")              # an opaque file handle
FX = Fx("nfs-getattr", "nfs", FlowView.udp(
    [rpc_call(0x1a2b3c01, 100003, 3, 1,                             # NFS v3, GETATTR
              struct.pack(">I", 16) + FH)],                         # nfs_fh3
    [rpc_reply(0x1a2b3c01, struct.pack(">I", 0) + bytes(84))],      # NFS3_OK, fattr3
), first="c", meta={"program": 100003, "program_name": "nfs", "version": 3, "procedure": 1})
TCP = FlowView.tcp(mark(rpc_call(7, 100005, 3, 1)), mark(rpc_reply(7)))   # MOUNT v3 MNT over TCP


@pytest.mark.parametrize("view", [
    FlowView.udp([rpc_call(1, 100000, 2, 3)], [rpc_reply(1)]),   # the portmapper: onc-rpc's
    FlowView.udp([rpc_call(1, 100003, 3, 1)[:8] + struct.pack(">I", 3) + rpc_call(1, 100003, 3, 1)[12:]]),   # rpcvers 3
    FlowView.udp([rpc_call(1, 100003, 3, 1)[:28] + struct.pack(">I", 401) + bytes(404)]),   # a credential over 400 bytes
    FlowView.udp([rpc_call(1, 100003, 3, 1)[:24] + struct.pack(">I", 5) + rpc_call(1, 100003, 3, 1)[28:]]),   # an unknown flavor
    FlowView.tcp(struct.pack(">I", 0x80000010) + rpc_call(1, 100003, 3, 1)),   # the record is shorter than the call
    FlowView.udp([rpc_call(1, 100003, 3, 1)], [struct.pack(">III", 1, 1, 7)]),   # a reply_stat of 7
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "nfs")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_tcp_record_marking_and_mount():
    r = SPEC.probe(TCP, {})
    assert r.outcome == Outcome.MATCH and r.metadata["program_name"] == "mountd"
