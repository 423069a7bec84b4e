"""TeamViewer command packets: the detector on its fixture (bytes of pcaps/corpus/teamviewer-N.pcap,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "teamviewer")

# pcaps/corpus/teamviewer-1.pcap: the client identifies itself, the router answers with
# a session id (undocumented bodies: patterns here).
FX = Fx("teamviewer-identify", "teamviewer", FlowView.tcp(
    b"\x17\x24"                   # magic: protocol version 2
    b"\x0a"                       # command 10, CMD_IDENTIFY
    + bytes(9) + b"\x42" * 24,    # body
    b"\x11\x30"                   # magic: protocol version 1
    b"\x36"                       # command 54, CMD_SESSIONID
    b"\x00\x18\x00\x00\x00" + b"\x43" * 24,
), first="c", meta={"version": 2, "command": 10})
TRUNC = FlowView.tcp(b"\x17\x24")


def udp_dg(counter, cmd):
    return bytes([counter]) + bytes(10) + b"\x17\x24" + bytes([cmd]) + b"\x44" * 40


# pcaps/corpus/teamviewer-2.pcap: UDP pings between peers (11-byte header, then the packet).
UDP = FlowView.udp([udp_dg(0, 71), udp_dg(1, 71)], [udp_dg(0, 71)])
NEAR_MISSES = [
    FlowView.tcp(b"\x17\x24\x0b" + bytes(20), b"HTTP/1.1 200 OK\r\n\r\n"),   # server is no TeamViewer
    FlowView.tcp(b"\x17\x24\x0c" + bytes(20), b"\x11\x30\x36" + bytes(8)),  # command 12 is not listed
    FlowView.tcp(b"\x17\x25\x0a" + bytes(20), b"\x11\x30\x36" + bytes(8)),  # another magic
    FlowView.udp([udp_dg(0, 71), bytes(11) + b"\x16\x03\x01" + bytes(20)]),  # a datagram without the magic
    FlowView.udp([bytes(11) + b"\x17\x24\x05" + bytes(20)]),                # command 5 is not listed
]


def test_udp_pings():
    r = SPEC.probe(UDP, {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"version": 2, "command": 71}
    assert SPEC.probe(FlowView.udp([udp_dg(0, 71)]), {}).outcome == Outcome.NEED_MORE


def test_positive():
    check_positive(FX, "teamviewer")


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
