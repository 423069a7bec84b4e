"""Ether-S-Bus (Saia-Burgess PCD S-Bus telegrams over UDP): the detector on its fixture
(commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture).

The fixture's bytes follow the layout of ndpi-dev's ethersbus.pcap (a PG5 tool reading
a PCD's firmware version; each CRC recomputed by crc() below).  No S-Bus software is
installable here, so the captures (pcaps/corpus/ether-s-bus-1.pcap, -2) are spec-built:
pcaps/gen/ethersbus.py builds register and flag reads and a register write from the
telegram layout, and spec_peer.py plays both sides on loopback."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "ether-s-bus")



def telegram(version: int, seq: int, attribute: int, data: bytes) -> bytes:
    """length | version | protocol type 0 | sequence | attribute | data | CRC-16."""
    body = (9 + len(data) + 2).to_bytes(4, "big") + bytes((version, 0)) + seq.to_bytes(2, "big") \
        + bytes((attribute,)) + data
    return body + crc(body).to_bytes(2, "big")


def crc(data: bytes) -> int:
    """CRC-16/XMODEM (polynomial 0x1021, initial 0), bit by bit: an independent check."""
    c = 0
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


REQUEST = hx("0000000d",   # length 13: the whole telegram
             "01",         # version 1
             "00",         # protocol type 0: S-Bus
             "0001",       # sequence number 1
             "00",         # attribute 0: request
             "0a 20",      # destination station 10, command 0x20 (read firmware version)
             "5318")       # CRC-16/XMODEM of the 11 bytes before it
RESPONSE = hx("00000014",  # length 20
              "00 00",     # version 0, protocol type 0
              "0001",      # sequence number 1: the request's
              "01",        # attribute 1: response
              "44324d3438303230 00",   # "D2M48020": the firmware version
              "fac9")      # CRC-16
ACK = hx("0000000d 00 00 0003", "02",   # sequence 3, attribute 2: ACK/NAK
         "0000",           # ACK/NAK code 0: ACK
         "a3d8")           # CRC-16
FX = Fx("ether-s-bus-firmware", "ether-s-bus", FlowView.udp([REQUEST], [RESPONSE]),
        first="c", meta={"telegram": "request", "command": "20"})


def test_the_fixture_is_self_consistent():
    for t in (REQUEST, RESPONSE, ACK):
        assert crc(t[:-2]) == int.from_bytes(t[-2:], "big")
    assert telegram(1, 1, 0, bytes.fromhex("0a20")) == REQUEST


def test_one_side_alone():
    for view in (FlowView.udp([REQUEST]), FlowView.udp([], [RESPONSE, ACK])):
        r = SPEC.probe(view, {})
        assert r.outcome == Outcome.MATCH and r.confidence == 0.9


NEAR_MISSES = [
    FlowView.udp([REQUEST[:-1] + b"\x19"]),                   # CRC off by one bit
    FlowView.udp([b"\x00\x00\x00\x0e" + REQUEST[4:]]),         # length says 14, the datagram is 13
    FlowView.udp([telegram(2, 1, 0, bytes.fromhex("0a20"))]),   # version 2
    FlowView.udp([telegram(1, 1, 3, bytes.fromhex("0a20"))]),   # attribute 3
    FlowView.udp([telegram(1, 1, 0, b"\x0a")]),                 # a request without its command
    FlowView.udp([REQUEST, REQUEST[:8]]),                       # a short datagram among others
    FlowView.udp([REQUEST], [b"\x01" + RESPONSE[1:]]),          # the answer is no telegram
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "ether-s-bus")


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
