"""Spotify LAN discovery and access-point handshake: the detector on its fixture (bytes of pcaps/corpus/spotify-N.pcap,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "spotify")

# pcaps/corpus/spotify-1.pcap: two LAN discovery broadcasts (binary body: a pattern here).
DISC = b"SpotUdp0" + b"\x6e\x4d\x61\x28" * 9       # magic and version digit, then the body
FX = Fx("spotify-lan-discovery", "spotify", FlowView.udp([DISC, DISC]), first="c",
        meta={"kind": "lan-discovery"})
TRUNC = FlowView.udp([DISC[:3]])


def pb(field, value):
    """A length-delimited protocol-buffer field (lengths below 128 here)."""
    key = field << 3 | 2
    return (bytes([key]) if key < 128 else bytes([key & 0x7f | 0x80, key >> 7])) + bytes([len(value)]) + value


# pcaps/corpus/spotify-2.pcap: the access-point handshake.
HELLO = pb(10, b"\x50\x00\xf0\x01\x00") + pb(60, b"\x11" * 16)     # build_info, client_nonce
CLIENT = b"\x00\x04" + (6 + len(HELLO)).to_bytes(4, "big") + HELLO  # prefix, whole length, ClientHello
AP = pb(10, pb(10, b"\x22" * 40)) + pb(50, b"\x33" * 16)           # challenge, server_nonce
SERVER = (4 + len(AP)).to_bytes(4, "big") + AP                       # whole length, APResponseMessage
AP_VIEW = FlowView.tcp(CLIENT, SERVER)

NEAR_MISSES = [
    FlowView.udp([b"SpotUdpX" + DISC[8:]]),                       # no version digit
    FlowView.udp([DISC, b"M-SEARCH * HTTP/1.1\r\n"]),             # another datagram in the flow
    FlowView.tcp(b"\x00\x05" + CLIENT[2:], SERVER),               # another prefix
    FlowView.tcp(CLIENT[:6] + b"\x0a" + CLIENT[7:], SERVER),      # first field not build_info
    FlowView.tcp(CLIENT, SERVER[:4] + b"\x0a" + SERVER[5:]),      # server's first field wrong
    FlowView.tcp(CLIENT, b"\x00\x00\x00\x02" + SERVER[4:]),       # a length below its own header
]


def test_ap_handshake():
    r = SPEC.probe(AP_VIEW, {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"kind": "ap-handshake"}
    assert SPEC.probe(FlowView.tcp(CLIENT), {}).outcome == Outcome.NEED_MORE   # waits for the server


def test_positive():
    check_positive(FX, "spotify")


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
