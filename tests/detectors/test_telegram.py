"""Telegram MTProto transports: the detector on its fixture (bytes of pcaps/corpus/telegram-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture).  The obfuscated
transport's preamble is built here from "MTProto transports" (no capture of it)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

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


def obfuscated(tag: bytes, seed: int = 7) -> bytes:
    """An obfuscated transport's 64-byte preamble as "MTProto transports" builds it: 56
    random bytes (never 0xef first, never a zero second u32), the transport's tag, 4 more
    bytes; AES-256-CTR under key = bytes 8-39 and IV = bytes 40-55; bytes 0-55 are sent
    as they are, bytes 56-63 encrypted."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    init = bytes((seed * 37 + i * 101) % 251 + 1 for i in range(56)) + tag + b"\x02\x00\x5a\x5a"
    enc = Cipher(algorithms.AES(init[8:40]), modes.CTR(init[40:56])).encryptor().update(init)
    return init[:56] + enc[56:64]


@pytest.mark.parametrize("tag,kind", [
    (b"\xef\xef\xef\xef", "obfuscated-abridged"),
    (b"\xee\xee\xee\xee", "obfuscated-intermediate"),
    (b"\xdd\xdd\xdd\xdd", "obfuscated-padded-intermediate"),
])
def test_obfuscated(tag, kind):
    pre = obfuscated(tag)
    r = SPEC.probe(FlowView.tcp(pre + bytes(40), b"\x9a" * 30), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9 and r.metadata == {"transport": kind}
    assert SPEC.probe(FlowView.tcp(pre[:63]), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("view", [
    FlowView.tcp(obfuscated(b"\xef\xef\xef\xee")),                      # not a tag once decrypted
    FlowView.tcp(obfuscated(b"\xef\xef\xef\xef")[:57] + b"\x00" + obfuscated(b"\xef\xef\xef\xef")[58:]),
    FlowView.tcp(b"POST" + obfuscated(b"\xef\xef\xef\xef")[4:]),           # a first u32 never sent
    FlowView.tcp(obfuscated(b"\xef\xef\xef\xef")[:4] + bytes(4) + bytes(56)),   # a second u32 of 0
], ids=range(4))
def test_obfuscated_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


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


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


# -- the compiled AES-256 the obfuscated-transport check uses (_wire_aes.pxi) -----------

def test_aes256_fips197_example():
    """FIPS-197 Appendix C.3: AES-256 of 00112233...eeff under the key 000102...1f."""
    from classifier.detectors._fast import aes256_block
    got = aes256_block(bytes(range(32)), bytes.fromhex("00112233445566778899aabbccddeeff"))
    assert got.hex() == "8ea2b7ca516745bfeafc49904b496089"


@settings(max_examples=300, deadline=None)
@given(key=st.binary(min_size=32, max_size=32), iv=st.binary(min_size=16, max_size=16),
       pos=st.integers(0, 60), wrap=st.booleans())
def test_aes256_ctr_equals_cryptography(key, iv, pos, wrap):
    """The key stream equals the cryptography library's AES-256-CTR, the 128-bit counter
    wrapping included."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from classifier.detectors._fast import aes256_ctr_at
    if wrap:
        iv = b"\xff" * 15 + iv[-1:]
    n = min(4, 16 - pos % 16)
    stream = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor().update(bytes(64))
    assert aes256_ctr_at(key, iv, pos, n) == stream[pos:pos + n]
