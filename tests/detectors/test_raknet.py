"""RakNet: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/raknet-1.pcap, commented field by field): positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct  # noqa: F401

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "raknet")

MAGIC = hx("00ffff00fefefefefdfdfdfd12345678")      # OFFLINE_MESSAGE_DATA_ID
MOTD = b"MCPE;portlens spec-built;594;1.20.10;0;10;1;world;Survival;1;19132;19133;"
PING = (hx("01")                                  # Unconnected Ping
        + hx("00000000000003e8")                  # time (ms)
        + MAGIC
        + hx("8a1f3c5d7e9b0a2c"))                 # client GUID
PONG = (hx("1c")                                  # Unconnected Pong
        + hx("00000000000003e8")                  # time, echoed
        + hx("680a4f2b9c1d3e57")                  # server GUID
        + MAGIC
        + struct.pack(">H", len(MOTD)) + MOTD)    # the server string, ending the datagram

FX = Fx("raknet-ping-pong", "raknet", FlowView.udp([PING], [PONG]), first="c",
        meta={"messages": ["unconnected-ping", "unconnected-pong"], "server_name": MOTD.decode()})

# Open Connection Request 1: id, magic, protocol version 11, padding up to the MTU probed.
OCR1 = hx("05") + MAGIC + hx("0b") + bytes(100)
# A Connection Request inside a reliable frame (flags 0x40: reliability 2), then an ACK
# of record 0 (0x01 single + 24-bit number).
BODY = hx("09" "8a1f3c5d7e9b0a2c" "0000000000001388" "00")
FRAME_SET = hx("84" "000000") + hx("40") + struct.pack(">H", len(BODY) * 8) + hx("000000") + BODY
ACK = hx("c0" "0001" "01" "000000")


def test_open_connection_and_connected_datagrams():
    r = SPEC.probe(FlowView.udp([OCR1]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 1.0
    # a capture that starts after the handshake: two well-formed connected datagrams
    r = SPEC.probe(FlowView.udp([FRAME_SET], [ACK]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7 and r.metadata["messages"] == ["frame-set", "ack"]
    # a flow of one connected datagram that its frames fill exactly: weaker still
    r = SPEC.probe(FlowView.udp([FRAME_SET]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.6
    r = SPEC.probe(FlowView.udp([hx("c0" "0002" "01" "000000" "00" "000001" "000003")]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["messages"] == ["ack"]
    # one of two datagrams: the second may still spoil it
    assert SPEC.probe(FlowView.udp([FRAME_SET, b"\x84\x01"]), {}).outcome == Outcome.NO_MATCH


def test_wrapped_magic_is_weaker():
    # a vendor prefix (32 bytes) before the magic: the magic alone
    r = SPEC.probe(FlowView.udp([bytes(range(31)) + hx("7b") + MAGIC + bytes(40)]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9
    # a custom id in place of the standard one (Roblox: 0x7b), the magic right after it
    r = SPEC.probe(FlowView.udp([hx("7b") + MAGIC + bytes(1200)], [hx("7e") + MAGIC + bytes(11)]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9
    assert r.metadata["messages"] == ["offline-custom"]
    # the magic elsewhere than where raknet.c looks for it (1, 9, 17, 32) is not enough
    assert SPEC.probe(FlowView.udp([hx("7b0000") + MAGIC + bytes(40)]), {}).outcome == Outcome.NO_MATCH


def test_the_client_datagram_decides():
    # the server's pong alone (a capture holding one side): the client sent nothing
    assert SPEC.probe(FlowView.udp([], [PONG]), {}).outcome == Outcome.NO_MATCH
    assert SPEC.probe(FlowView.udp([b""], [PONG]), {}).outcome == Outcome.NO_MATCH


def test_a_pong_without_the_magic_is_not_raknet():
    # the pong's shape (id, time, GUID, 16 bytes, u16-prefixed string) with filler where
    # the magic goes
    fake = hx("1c") + bytes(8) + bytes(8) + b"\x33" * 16 + hx("0002") + b"AA"
    assert SPEC.probe(FlowView.udp([fake, fake, fake]), {}).outcome == Outcome.NO_MATCH


NEAR_MISSES = [
    FlowView.udp([PING[:9] + MAGIC[:15] + b"\x00" + PING[25:]]),        # one magic byte off
    FlowView.udp([], [PONG[:33] + struct.pack(">H", len(MOTD) + 1) + MOTD]),   # string length disagrees
    FlowView.udp([FRAME_SET + b"\x00"], [ACK]),                          # frames do not fill the datagram
    FlowView.udp([FRAME_SET], [hx("c0" "0002" "01" "000000")]),          # ACK record count disagrees
    FlowView.udp([hx("84" "000000" "4f") + bytes(20)], [ACK]),           # frame flags' low bits set
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "raknet")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
