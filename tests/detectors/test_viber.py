"""Viber: the detector on spec-built bytes (the shapes nDPI's viber.c checks, the rest
filler).  Viber's servers and clients are not installable here and its wire format is not
published, so pcaps/corpus/viber-1.pcap (TCP) and viber-2.pcap (UDP) are spec-built from
the same rules (pcaps/gen/msgapps.py).  Positive with metadata, truncated -> NEED_MORE,
fed in fragments -> the same outcome, near misses, and no other detector claims it (nor
it another protocol's fixture).  Checked on real traffic with tools/ndpi_claims.py
(viber.pcap)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "viber")

CLIENT = (hx("1c00")                 # u16 LE 28: the message's (and its packet's) length
          + hx("5a3c0b17")           # four bytes viber.c does not read
          + hx("fcff")               # bytes 6-7 0xfc 0xff (viber.c's first TCP rule)
          + hx("05" "80")            # byte 9 0x80
          + bytes(18))               # the rest of the message
SERVER = (hx("2000")                 # u16 LE 32
          + hx("e103")               # two bytes viber.c does not read
          + hx("0380")               # bytes 4-5 0x03 0x80 (viber.c's second TCP rule)
          + hx("00000000") + hx("0a")   # byte 10 0x0a
          + bytes(21))

FX = Fx("viber-tcp", "viber", FlowView.tcp(CLIENT, SERVER), first="c", meta={"kind": "tcp"})

TAG = hx("4d7e")                     # the two bytes every datagram of the flow starts with
UDP_C = [TAG + hx("0100" "0500") + bytes(58),    # type 1, then 0x05 0x00 (viber.c)
         TAG + hx("0900") + bytes(16)]           # type 9 in a 20-byte datagram
UDP_S = [TAG + hx("0c00" "0100") + bytes(70)]    # the server's answer: same tag, type 12
UDP_FX = Fx("viber-udp", "viber", FlowView.udp(UDP_C, UDP_S), first="c", meta={"kind": "type-1"})


def sized(c, s, sizes):
    """A TCP view that carries packet sizes as the product's does."""
    return FlowView("tcp", c, s, (), (), tuple(d for d, _ in sizes), tuple(n for _, n in sizes))


def test_udp_positive():
    check_positive(UDP_FX, "viber")
    check_fragmented(UDP_FX, SPEC)
    check_claimed_alone(UDP_FX, SPEC)


def test_udp_34_byte_shape():
    c = TAG + hx("1900") + bytes(30)                 # type 0x19 in a 34-byte datagram
    s = TAG + hx("1a00") + bytes(16)
    r = SPEC.probe(FlowView.udp([c], [s]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8 and r.metadata == {"kind": "type-25"}


def test_tcp_with_packet_sizes():
    # the product's view: the client's first packet is exactly its message, the server's
    # first message shares its packet with the next one
    view = sized(CLIENT + bytes(40), SERVER + bytes(50), [(0, 28), (1, 82), (0, 40)])
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8
    assert SPEC.probe(FlowView.tcp(CLIENT), {}).confidence == 0.8     # not answered yet


def test_tcp_without_sizes_takes_whole_messages():
    # a stream delivered in fragments (no packet sizes): whole u16 LE framed messages
    nxt = hx("0900") + bytes(7)                     # a 9-byte message after the first
    assert SPEC.probe(FlowView.tcp(CLIENT + nxt), {}).outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.tcp(CLIENT + nxt[:5]), {}).outcome == Outcome.NEED_MORE


def test_lone_datagram_waits():
    assert SPEC.probe(FlowView.udp(UDP_C[:1]), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.tcp(CLIENT[:6] + hx("fcfe") + CLIENT[8:]),             # bytes 6-7 are not fc ff
    FlowView.tcp(CLIENT[:9] + hx("00") + CLIENT[10:]),              # byte 9 is not 0x80
    FlowView.tcp(CLIENT + bytes(4)),                                # bytes past the message, no sizes
    sized(CLIENT + bytes(4), b"", [(0, 32)]),                      # the packet is not the message
    FlowView.tcp(hx("0a00") + CLIENT[2:10]),                        # a length under 11
    FlowView.tcp(CLIENT, SERVER[:4] + hx("0381") + SERVER[6:]),     # the server's bytes 4-5
    FlowView.udp(UDP_C, [hx("4d7f") + UDP_S[0][2:]]),               # the server's tag differs
    FlowView.udp(UDP_C, [TAG + hx("0c01") + UDP_S[0][4:]]),         # a type above 255
    FlowView.udp([TAG + hx("0100" "0600") + bytes(58)], UDP_S),     # type 1 without 05 00
    FlowView.udp([TAG + hx("0900") + bytes(20)], UDP_S),            # type 9 not 20 bytes long
    FlowView.udp([TAG + hx("0200") + bytes(20)], UDP_S),            # a type viber.c does not list
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "viber")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)
    check_truncated(UDP_FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
