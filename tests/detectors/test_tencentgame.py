"""Tencent games' TGCP (TConnd's connection protocol) and nDPI's 42 15 f7 87 opening:
the detector on spec-built fixtures (the HEAD.base layout and command list of
lsj9383's TSF4G notes, the leading bytes of nDPI's tencent_games.c), commented field by
field: positives with metadata, truncated -> NEED_MORE, fed in fragments -> the same
outcome, near misses, and no other detector claims them (nor it another protocol's
fixture).

TConnd and the games' clients are not installable here, so the captures
tencentgame-1/2/3.pcap (pcaps/gen/tcpsigs.py) are spec-built, one per shape, with seeded
random bytes where the protocol is opaque; tools/ndpi_claims.py checks the detector on
nDPI's tencent_games.pcap."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "tencentgame")


def base(cmd, enc, seq, ext, body=b""):
    """A GCP packet: HEAD.base (21 bytes), HEAD's extension, BODY."""
    return (hx("3366")                      # magic
            + hx("000b") + hx("000b")       # head_version 11, body_version 11
            + struct.pack(">H", cmd)        # command
            + bytes([enc])                  # encrypted
            + struct.pack(">I", seq)        # sequence
            + struct.pack(">I", 21 + len(ext))  # head_length: base + extension
            + struct.pack(">I", len(body))  # body_length
            + ext + body)


SYN = base(0x1001, 0, 1, bytes(range(27)))                  # SYN: key request etc., no body
ACK = base(0x1002, 1, 1, bytes(range(11)), bytes(16))       # ACK: key, compression; a body
AUTH = base(0x2001, 0, 2, bytes(range(9)), bytes(range(64)))  # AUTH_REQ, encrypted body

FX = Fx("tencentgame-tgcp", "tencentgame", FlowView.tcp(SYN + AUTH, ACK), first="c",
        meta={"shape": "tgcp", "commands": ["SYN", "ACK"]})

# The tagged encoding: tag byte = field << 4 | type (0: varint, 5: u32 length + bytes).
TLV_HEAD_C = (hx("10" "e68601")            # field 1 varint 0x4366: the magic
              + hx("20" "00")               # field 2 varint 0
              + hx("30" "01")               # field 3 varint 1
              + hx("40" "8120")             # field 4 varint 0x1001: SYN
              + bytes(8))                   # more of the head
TLV_HEAD_S = TLV_HEAD_C[:8] + hx("40" "8220") + bytes(8)   # field 4: 0x1002, ACK
TLV_BODY = hx("25" "00000080") + bytes(range(128))  # field 2: 128 bytes (encrypted body)


def tlv_frame(head, body=TLV_BODY):
    inner = hx("15") + struct.pack(">I", len(head)) + head + body   # field 1: the HEAD
    return hx("aa") + struct.pack(">I", 5 + len(inner)) + inner     # 0xaa, u32 frame length


FX_TLV = Fx("tencentgame-tlv", "tencentgame",
            FlowView.tcp(hx("4366") + tlv_frame(TLV_HEAD_C), tlv_frame(TLV_HEAD_S)),
            first="c", meta={"shape": "tgcp-tlv", "commands": ["SYN", "ACK"]})

FX_4215 = Fx("tencentgame-4215", "tencentgame",
             FlowView.tcp(hx("4215f787" "03e9" "0000") + bytes(range(40)),   # nDPI's magic,
                          hx("4215f787" "03ea" "0000") + bytes(range(20))),  # 2 bytes, 0000
             first="c", meta={"shape": "4215f787"})

ALL = [FX, FX_TLV, FX_4215]


@pytest.mark.parametrize("fx", ALL, ids=lambda f: f.id)
def test_positive(fx):
    check_positive(fx, "tencentgame")


@pytest.mark.parametrize("fx", ALL, ids=lambda f: f.id)
def test_truncated_needs_more(fx):
    check_truncated(fx, SPEC)


@pytest.mark.parametrize("fx", ALL, ids=lambda f: f.id)
def test_fragmented_delivery_gives_the_whole_outcome(fx):
    check_fragmented(fx, SPEC)


@pytest.mark.parametrize("fx", ALL, ids=lambda f: f.id)
def test_no_other_detector_claims_it(fx):
    check_claimed_alone(fx, SPEC)


def test_a_packet_ending_with_its_segment_is_checked():
    view = FlowView("tcp", SYN, b"", (), (), [0], [len(SYN)])
    assert SPEC.probe(view, {}).outcome == Outcome.MATCH
    # the same head in a longer segment, with no head after it: its length is not confirmed
    view = FlowView("tcp", SYN + b"\x00", b"", (), (), [0], [len(SYN) + 1])
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


NEAR_MISSES = {
    "another magic": FlowView.tcp(hx("3367") + SYN[2:]),
    "unknown command": FlowView.tcp(SYN[:6] + hx("1003") + SYN[8:]),
    "client opens with ACK": FlowView.tcp(ACK),
    "encrypted flag 2": FlowView.tcp(SYN[:8] + hx("02") + SYN[9:]),
    "head shorter than HEAD.base": FlowView.tcp(SYN[:13] + struct.pack(">I", 20) + SYN[17:]),
    "length off by one": FlowView.tcp(SYN[:13] + struct.pack(">I", 49) + SYN[17:] + AUTH),
    "tlv without the client's magic": FlowView.tcp(tlv_frame(TLV_HEAD_C)),
    "tlv other magic varint": FlowView.tcp(hx("4366") + tlv_frame(hx("10e78601") + TLV_HEAD_C[4:])),
    "tlv unknown command": FlowView.tcp(hx("4366") + tlv_frame(TLV_HEAD_C[:8] + hx("408320") + bytes(8))),
    "tlv frame shorter than its head": FlowView.tcp(hx("4366aa00000008") + tlv_frame(TLV_HEAD_C)[5:]),
    "4215 without the zero bytes": FlowView.tcp(hx("4215f787" "03e9" "0001") + bytes(40)),
    "4215 answered otherwise": FlowView.tcp(hx("4215f787" "03e9" "0000") + bytes(40), b"HTTP/1.1 400\r\n"),
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses(name):
    assert SPEC.probe(NEAR_MISSES[name], {}).outcome == Outcome.NO_MATCH


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
