"""Photon (Exit Games): the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/photon-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "photon")

def header(peer, count):
    # peer id, CRC flag 0, command count, sent time, challenge
    return struct.pack(">HBBII", peer, 0, count, 0x0000a4f1, 0x22b6e6ba)


def command(kind, channel, flags, body, seq):
    # type, channel, flags, reserved, length (header included), reliable sequence
    return struct.pack(">BBBBII", kind, channel, flags, 0, 12 + len(body), seq) + body


CONNECT = command(2, 0xff, 1, struct.pack(">HH", 0, 1200) + bytes(28), 1)    # 44 bytes, channel 0xff
VERIFY = command(3, 0xff, 1, struct.pack(">HH", 0, 0x47eb) + bytes(28), 1)   # the server's peer id
ACK = command(1, 0xff, 0, struct.pack(">II", 1, 1000), 0)                     # acked seq, sent time: 20 bytes

FX = Fx("photon-connect", "photon",
        FlowView.udp([header(0xffff, 1) + CONNECT, header(0x47eb, 1) + ACK],   # no peer id yet: 0xffff
                     [header(0x0000, 2) + ACK + VERIFY]),
        first="c", meta={"commands": ["connect", "ack", "verify-connect"]})


def test_one_datagram_without_connect_is_weaker():
    r = SPEC.probe(FlowView.udp([header(0x47eb, 1) + ACK]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8


# Photon Realtime's region ping (PhotonPing.cs): twelve 0x7d, then the ping id; the
# server sends the 13 bytes back
PING = hx("7d7d7d7d 7d7d7d7d 7d7d7d7d",   # PingBytes' fill
          "a5")                           # PingId, random
PING_FX = Fx("photon-region-ping", "photon", FlowView.udp([PING], [PING]), first="c",
             meta={"commands": ["region-ping"]})


def test_region_ping():
    check_positive(PING_FX, "photon")
    check_truncated(PING_FX, SPEC)
    check_fragmented(PING_FX, SPEC)
    check_claimed_alone(PING_FX, SPEC)
    # either side alone (a capture may hold only the request or only the echo)
    assert SPEC.probe(FlowView.udp([PING]), {}).outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.udp([b"", PING]), {}).outcome == Outcome.MATCH   # after an empty one


@pytest.mark.parametrize("view", [
    FlowView.udp([PING], [PING[:12] + b"\xa6"]),          # the echo carries another id
    FlowView.udp([PING + b"\x00"]),                       # 14 bytes: longer than a ping
    FlowView.udp([PING[:11] + b"\x7c" + PING[12:]]),      # the fill broken
    FlowView.udp([PING, header(0x47eb, 1) + ACK]),        # a ping, then a Photon datagram
    FlowView.udp([PING, PING[:5]]),                       # a short one among pings
], ids=["other-id", "too-long", "fill", "mixed", "short"])
def test_region_ping_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_a_peer_id_opening_with_0x7d_is_still_photon():
    r = SPEC.probe(FlowView.udp([header(0x7d7d, 1) + ACK]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["commands"] == ["ack"]


NEAR_MISSES = [
    FlowView.udp([header(0xffff, 2) + CONNECT]),                       # count says 2, one command
    FlowView.udp([header(0xffff, 1) + CONNECT + b"\x00"]),             # a byte past the commands
    FlowView.udp([header(0xffff, 1) + CONNECT[:1] + b"\x00" + CONNECT[2:]]),   # connect off channel 0xff
    FlowView.udp([header(0x47eb, 1) + command(1, 0, 0, bytes(12), 0)]),  # an ack of 24 bytes
    FlowView.udp([header(0x47eb, 1) + command(0x20, 0, 0, b"", 0)]),   # unknown command type
    FlowView.udp([struct.pack(">HBBII", 1, 0xcc, 1, 0, 0) + ACK]),     # CRC flag: not parsed
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "photon")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
