"""Threema chat server protocol: the detector on spec-built bytes (the handshake's sizes
from o3ma/o3 and nDPI's threema.c, the frames' u16 LE length; the ciphertext is stand-in
pseudo-random bytes).  Every byte is NaCl ciphertext keyed by Threema's server, so
pcaps/corpus/threema-1.pcap (today's 191-byte login) and threema-2.pcap (o3's 144-byte
one) are spec-built from these sizes (pcaps/gen/msgapps.py).  Positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture).  Checked on real traffic with
tools/ndpi_claims.py (threema.pcap)."""
from __future__ import annotations

import hashlib
import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "threema")


def box(n: int, seed: str) -> bytes:
    """n bytes standing in for a key, a cookie or NaCl ciphertext."""
    out = b""
    while len(out) < n:
        out += hashlib.sha256((seed + str(len(out))).encode()).digest()
    return out[:n]


def frame(n: int, seed: str) -> bytes:
    return struct.pack("<H", n) + box(n, seed)        # u16 LE length, then the box


CLIENT_HELLO = box(32, "tck") + box(16, "cck")        # temporary public key, client cookie
SERVER_HELLO = box(16, "sck") + box(64, "srv")        # server cookie, box(key + client cookie)
LOGIN = box(191, "login")                             # today's login box (nDPI: 191)
LOGIN_ACK = box(32, "ack")                            # 16 bytes boxed (o3 reads 32)
CLIENT = CLIENT_HELLO + LOGIN
SERVER = SERVER_HELLO + LOGIN_ACK + frame(20, "f1")   # a 4-byte packet type, boxed

FX = Fx("threema-handshake", "threema", FlowView.tcp(CLIENT, SERVER), first="c", meta={"login": 191})


def sized(c, s, sizes):
    """A TCP view that carries packet sizes as the product's does."""
    return FlowView("tcp", c, s, (), (), tuple(d for d, _ in sizes), tuple(n for _, n in sizes))


def test_with_packet_sizes_and_client_frames():
    c = CLIENT_HELLO + box(144, "old login") + frame(300, "msg") + frame(40, "ack")
    s = SERVER_HELLO + LOGIN_ACK + frame(400, "in") + bytes(100)      # the rest cut off
    view = sized(c, s, [(0, 48), (1, 80), (0, 144), (1, 32), (0, 302), (1, 402), (0, 42)])
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8 and r.metadata == {"login": 144}


def test_handshake_alone_waits():
    assert SPEC.probe(FlowView.tcp(CLIENT, SERVER_HELLO + LOGIN_ACK), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.tcp(CLIENT, SERVER + bytes(2)),                           # then a frame of length 0
    FlowView.tcp(CLIENT, SERVER_HELLO + LOGIN_ACK + frame(12, "x")),     # a frame shorter than a box
    sized(CLIENT, SERVER, [(0, 47), (0, 1), (1, 80)]),                 # the client's hello is not 48
    sized(CLIENT, SERVER, [(0, 48), (1, 81)]),                         # the server's hello is not 80
    sized(CLIENT_HELLO + box(190, "l") + frame(30, "m"), SERVER,
          [(0, 48), (1, 80), (0, 190)]),                               # a login of no known size
    FlowView.tcp(b"", SERVER),                                         # the server first
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "threema")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
