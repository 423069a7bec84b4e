"""Telegram MTProto transports: the detector on its fixture (bytes of pcaps/corpus/telegram-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "telegram")

import struct
import zlib


def unencrypted(msg_id, body):
    return (bytes(8)                                  # auth_key_id 0: unencrypted
            + struct.pack("<Q", msg_id)               # message_id (client: divisible by 4)
            + struct.pack("<I", len(body)) + body)    # message_data_length, message_data


REQ = unencrypted(0x6000000000000FA0, struct.pack("<I", 0xbe7e8ef1) + b"\x11" * 16)   # req_pq_multi, nonce
RES = unencrypted(0x6000000000000FA5, struct.pack("<I", 0x05162463) + b"\x11" * 16 + b"\x22" * 16
                  + b"\x08" + b"\x17" * 8 + b"\x00" * 3 + struct.pack("<II", 0x1cb5c415, 1) + b"\x33" * 8)
# pcaps/corpus/telegram-1.pcap: the intermediate transport.
FX = Fx("telegram-intermediate", "telegram", FlowView.tcp(
    b"\xee\xee\xee\xee"                               # transport tag: intermediate
    + struct.pack("<I", len(REQ)) + REQ,              # u32 LE length, packet
    struct.pack("<I", len(RES)) + RES,                # the server: same framing, no tag
), first="c", meta={"transport": "intermediate", "request": "req_pq_multi"})
TRUNC = FlowView.tcp(b"\xee\xee\xee")


def full(p):
    head = struct.pack("<II", len(p) + 12, 0) + p     # whole length, sequence number 0, packet
    return head + struct.pack("<I", zlib.crc32(head))


NEAR_MISSES = [
    FlowView.tcp(b"\xee\xee\xee\xee" + struct.pack("<I", len(REQ)) + b"\x01" + REQ[1:]),   # auth_key_id not 0
    FlowView.tcp(b"\xee\xee\xee\xee" + struct.pack("<I", len(REQ)) + REQ[:8] + b"\x01" + REQ[9:]),  # msg_id % 4
    FlowView.tcp(b"\xee\xee\xee\xee" + struct.pack("<I", len(REQ) + 4) + REQ + bytes(4)),   # lengths disagree
    FlowView.tcp(b"\xef" + bytes([len(REQ) // 4]) + REQ[:20] + b"\x00\x00\x00\x00" + REQ[24:]),  # unknown constructor
    FlowView.tcp(full(REQ)[:-1] + b"\x00"),                                                  # CRC32 wrong
    FlowView.tcp(b"\xee\xee\xee\xee" + struct.pack("<I", len(REQ)) + REQ, b"HTTP/1.1 400 Bad\r\n\r\n"),  # no resPQ
]


@pytest.mark.parametrize("c,s,kind", [
    (b"\xef" + bytes([len(REQ) // 4]) + REQ, bytes([len(RES) // 4]) + RES, "abridged"),
    (b"\xdd\xdd\xdd\xdd" + struct.pack("<I", len(REQ) + 7) + REQ + b"\x44" * 7, b"", "padded-intermediate"),
    (full(REQ), full(RES), "full"),
])
def test_other_transports(c, s, kind):
    r = SPEC.probe(FlowView.tcp(c, s), {})
    assert r.outcome == Outcome.MATCH and r.metadata["transport"] == kind


def test_positive():
    check_positive(FX, "telegram")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


@pytest.mark.parametrize("view", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


@pytest.mark.parametrize("fx", [f for f in FIXTURES if f.view.transport in SPEC.transports],
                         ids=lambda f: f.id)
def test_it_claims_no_other_protocol(fx):
    assert SPEC.probe(fx.view, {}).outcome != Outcome.MATCH
