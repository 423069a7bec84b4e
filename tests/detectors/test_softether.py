"""SoftEther VPN NAT-traversal: the detector on its fixture (bytes of pcaps/corpus/softether-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "softether")

# pcaps/corpus/softether-2.pcap: "A" probes answered with the reflected address, then a
# Pack request and its Pack answer on the same 5-tuple.
def pack(elements):
    """count; per element: name length + 1, name, type, value count, values"""
    out = len(elements).to_bytes(4, "big")
    for name, kind, values in elements:
        out += (len(name) + 1).to_bytes(4, "big") + name + kind.to_bytes(4, "big") + len(values).to_bytes(4, "big")
        for v in values:
            out += v.to_bytes(4 if kind == 0 else 8, "big") if kind in (0, 4) else len(v).to_bytes(4, "big") + v
    return out


REQ = pack([(b"opcode", 2, [b"nat_t_get_token"]),     # string
            (b"tran_id", 4, [0x1234567890]),           # int64
            (b"nat_traversal_version", 0, [2])])       # int
ANS = pack([(b"isret", 0, [1]), (b"my_ip", 2, [b"127.0.0.1"]), (b"my_port", 0, [40000])])
FX = Fx("softether-nat-t", "softether", FlowView.udp(
    [b"A", b"A", REQ],                                 # probes, then the Pack request
    [b"IP=127.0.0.1,PORT=40000", b"IP=127.0.0.1,PORT=40000", ANS]),
    first="c", meta={"reflected": "127.0.0.1:40000", "elements": "opcode,tran_id,nat_traversal_version"})
TRUNC = FlowView.udp([b"A"])                           # a probe alone: wait for the answer
NEAR_MISSES = [
    FlowView.udp([b"A"], [b"IP=127.0.0.1;PORT=40000"]),          # wrong separator
    FlowView.udp([b"A"], [b"IP=127.0.0.1,PORT=99999"]),          # no such port
    FlowView.udp([b"B"], [b"hello"]),                            # neither probe nor answer
    FlowView.udp([REQ + b"\x00"]),                               # a byte after the Pack's end
    FlowView.udp([REQ[:4] + (1).to_bytes(4, "big") + REQ[8:]]),  # a name length below 2
    FlowView.udp([REQ[:14] + (9).to_bytes(4, "big") + REQ[18:]]),  # value type 9
]


def test_positive():
    check_positive(FX, "softether")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


@pytest.mark.parametrize("view", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
