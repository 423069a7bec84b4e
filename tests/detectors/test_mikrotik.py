"""MikroTik Neighbor Discovery Protocol (MNDP): the detector on its fixture (an
announcement built from Wireshark's packet-mndp.c layout and MikroTik's TLV types,
commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "mikrotik")


def cat(*parts) -> bytes:
    """Hex strings and raw byte strings, joined."""
    return b"".join(p if isinstance(p, bytes) else hx(p) for p in parts)


def tlv(t: int, value: bytes) -> bytes:
    return struct.pack(">HH", t, len(value)) + value


ANNOUNCE = cat("0000",                       # header: 2 bytes of unknown use
               "002a",                       # sequence number 42
               "0001 0006 4c5e0c112233",     # MAC-Address (1), 6 bytes
               "0005 0006", b"core-1",       # Identity (5)
               "0007 000f", b"6.49.7 (stable)",   # Version (7)
               "0008 0008", b"MikroTik",     # Platform (8)
               "000a 0004 10270000",         # Uptime (10): 10000 s, little-endian
               "000b 0009", b"ABCD-EFGH",    # Software-ID (11)
               "000c 0006", b"RB750G",       # Board (12)
               "000e 0001 01",               # Unpack (14): none
               "000f 0010 fe800000000000004e5e0cfffe112233",   # IPv6-Address (15)
               "0010 0006", b"ether1",       # Interface name (16)
               "0011 0004 c0a85801")         # IPv4-Address (17): 192.168.88.1
FX = Fx("mikrotik-announce", "mikrotik", FlowView.udp([ANNOUNCE]), first="c",
        meta={"identity": "core-1", "version": "6.49.7 (stable)", "platform": "MikroTik",
              "board": "RB750G"})

MINIMAL = hx("0000 0001") + tlv(1, bytes(6)) + tlv(8, b"MikroTik") + tlv(10, bytes(4))


def test_positive():
    check_positive(FX, "mikrotik")


def test_a_minimal_announcement_and_repeats():
    for view in (FlowView.udp([MINIMAL]), FlowView.udp([ANNOUNCE, ANNOUNCE[:2] + b"\x00\x2b" + ANNOUNCE[4:]])):
        r = SPEC.probe(view, {})
        assert r.outcome == Outcome.MATCH and r.confidence == 0.9


def test_a_bare_header_waits():
    # a 4-byte datagram (a discovery request is the header alone) proves nothing
    assert SPEC.probe(FlowView.udp([bytes(4)]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.udp([ANNOUNCE, bytes(4)]), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.udp([ANNOUNCE[:-1]]),                          # the last TLV ends past the datagram
    FlowView.udp([ANNOUNCE + b"\x00"]),                     # a stray byte after the last TLV
    FlowView.udp([ANNOUNCE + hx("0012 00")]),               # a cut TLV header at the end
    FlowView.udp([hx("0000 0001") + tlv(1, bytes(5)) + tlv(8, b"MikroTik") + tlv(10, bytes(4))]),  # MAC of 5
    FlowView.udp([hx("0000 0001") + tlv(8, b"MikroTik") + tlv(5, b"r1") + tlv(10, bytes(4))]),      # no MAC
    FlowView.udp([hx("0000 0001") + tlv(1, bytes(6)) + tlv(8, b"MikroTik")]),                       # two known TLVs
    FlowView.udp([hx("0000 0001") + tlv(1, bytes(6)) + tlv(5, b"r\x001") + tlv(10, bytes(4))]),    # control byte in a name
    FlowView.udp([hx("0000 0001") + tlv(1, bytes(6)) + tlv(0x105, b"x") + tlv(8, b"M") + tlv(10, bytes(4))]),  # type 261
    FlowView.udp([hx("0000 0001 0100 0006") + bytes(6) + tlv(8, b"MikroTik") + tlv(10, bytes(4))]),  # first type >= 256
    FlowView.udp([ANNOUNCE, b"\x01" * 12]),                 # a second datagram that is no announcement
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
