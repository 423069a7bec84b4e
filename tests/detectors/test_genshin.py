"""Genshin Impact (KCP connect handshake): the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/genshin-1.pcap, commented field by field): positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct  # noqa: F401

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "genshin")

CONNECT = hx("000000ff"      # connect magic
             "00000000"      # conv: none yet
             "5be1c0de"      # token
             "499602d2"      # 1234567890
             "ffffffff")     # connect tail
ACCEPT = hx("00000145"       # accept magic
            "20263cd4"       # conv given by the server
            "5be1c0de"       # token, echoed
            "499602d2"       # 1234567890
            "14514545")      # accept tail

FX = Fx("genshin-handshake", "genshin", FlowView.udp([CONNECT], [ACCEPT]), first="c",
        meta={"conv": "20263cd4"})


def test_client_alone_is_weaker():
    r = SPEC.probe(FlowView.udp([CONNECT]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9


NEAR_MISSES = [
    FlowView.udp([CONNECT + b"\x00"]),                        # 21 bytes
    FlowView.udp([CONNECT[:12] + hx("499602d3") + CONNECT[16:]]),   # another constant
    FlowView.udp([CONNECT[:4] + hx("00000001") + CONNECT[8:]]),     # a conv in the connect
    FlowView.udp([CONNECT], [ACCEPT[:16] + hx("ffffffff")]),         # accept with the connect's tail
    FlowView.udp([hx("00000194") + ACCEPT[4:16] + hx("19419494")]),  # a disconnect opening the flow
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "genshin")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


# TCP: ../shared/ndpi-dev genshin-impact.pcap, 192.168.2.100:45246 -> 49.51.181.168:10012.
# Each record: 0x01, u32 record length (the whole record), message type, then fields of
# no published meaning, with the constant 0x4da6 at the record's offset 16 (nDPI's
# genshin_impact.c, TCP branch).
TCP_C1 = hx("01" "0000002a" "07"           # lead, length 42, type 7 (a client opener)
            "00000000" "aec675e1" "0000"   # (unpublished fields)
            "4da6"                         # the constant at offset 16
            "000000000000000000000000000000000000000062a5f615")    # the rest of the 42 bytes
TCP_C2 = hx("01" "00000036" "03"           # lead, length 54, type 3
            "00000001" "aec675e1" "0000" "4da6"
            "0000000000000000000000000000000000021d3800000000000000000000000000000000")
TCP_S1 = hx("01" "00000032" "08"           # the server's first: lead, length 50, type 8
            "00000001" "aec675e1" "0000" "4da6"
            "15f6a562b88f04000013f600ea5291cc1b9bf53eb23bd56fda45a1becefa3612")
TCP_VIEW = FlowView.tcp(TCP_C1 + TCP_C2, TCP_S1)


def test_tcp_records():
    r = SPEC.probe(TCP_VIEW, {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9
    assert Engine().classify(TCP_VIEW).protocol == "genshin"
    # the client's first record alone, nothing after it: weaker
    r = SPEC.probe(FlowView.tcp(TCP_C1), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8


def test_tcp_prefixes_need_more():
    for k in (1, 5, 17, 18, 41):
        assert SPEC.probe(FlowView.tcp(TCP_C1[:k]), {}).outcome == Outcome.NEED_MORE, k
    assert SPEC.probe(FlowView.tcp(b"", TCP_S1), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("view", [
    FlowView.tcp(TCP_C1[:5] + b"\x03" + TCP_C1[6:]),               # an opener of type 3
    FlowView.tcp(b"\x02" + TCP_C1[1:]),                             # another lead byte
    FlowView.tcp(TCP_C1[:16] + hx("4da7") + TCP_C1[18:]),           # another constant
    FlowView.tcp(TCP_C1[:1] + hx("00000011") + TCP_C1[5:]),         # a length shorter than the header
    FlowView.tcp(TCP_C1 + b"\x02" + TCP_C2[1:]),                    # the second record breaks the chain
    FlowView.tcp(TCP_C1 + TCP_C2, b"HTTP/1.1 200 OK\r\n\r\n"),      # the server answers otherwise
])
def test_tcp_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_no_other_detector_claims_the_tcp_records():
    for spec in detector_list.SPECS:
        if spec.probe and spec.name != "genshin" and "tcp" in spec.transports:
            assert spec.probe(TCP_VIEW, {}).outcome != Outcome.MATCH, spec.name
