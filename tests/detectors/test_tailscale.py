"""Tailscale disco: the detector on its fixture (bytes of pcaps/corpus/tailscale-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "tailscale")

MAGIC = "TS\U0001F4AC".encode()                        # "TS" + U+1F4AC in UTF-8


def disco(payload_len, fill):
    return (MAGIC
            + fill * 32                                # sender's disco public key
            + b"\x24" * 24                             # nonce
            + b"\x5a" * (16 + payload_len))            # sealed box: authenticator, message


# pcaps/corpus/tailscale-2.pcap: disco ping / pong, then WireGuard's handshake.
FX = Fx("tailscale-disco-wg", "tailscale", FlowView.udp(
    [disco(14, b"\x11"), b"\x01\x00\x00\x00" + b"\x77" * 144],   # ping; handshake initiation
    [disco(46, b"\x22"), b"\x02\x00\x00\x00" + b"\x88" * 88]),   # pong; handshake response
    first="c", meta={"disco": 2, "wireguard": 2})
TRUNC = FlowView.udp([MAGIC[:3]])
NEAR_MISSES = [
    FlowView.udp([b"TS\xf0\x9f\x92\xad" + disco(14, b"\x11")[6:]]),   # another emoji
    FlowView.udp([disco(14, b"\x11"), b"\x05\x00\x00\x00" + bytes(40)]),  # type 5 is no WireGuard message
    FlowView.udp([b"\x01\x00\x00\x00" + bytes(144)], [b"\x02\x00\x00\x00" + bytes(88)]),   # WireGuard alone
    FlowView.udp([disco(14, b"\x11"), b"GET / HTTP/1.1\r\n"]),           # something else on the 5-tuple
]


def test_wireguard_alone_stays_wireguard():
    wg = FlowView.udp([b"\x01\x00\x00\x00" + bytes(144)], [b"\x02\x00\x00\x00" + bytes(88)])
    assert Engine().classify(wg).protocol != "tailscale"


def test_positive():
    check_positive(FX, "tailscale")


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
