"""Bitcoin P2P: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/bitcoin-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "bitcoin")

import hashlib

MAINNET = hx("f9beb4d9")


def message(cmd, payload, magic=MAINNET):
    # start string, command (NUL-padded to 12), payload size (LE), checksum, payload
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return magic + cmd.ljust(12, b"\x00") + struct.pack("<I", len(payload)) + check + payload


UA = b"/Satoshi:27.0.0/"
ADDR = bytes(8) + bytes(10) + hx("ffff") + bytes([127, 0, 0, 1]) + struct.pack(">H", 8333)
VERSION = (struct.pack("<iQq", 70016, 0x409, 1765000000)   # protocol version, services, time
           + ADDR + ADDR + bytes(8)                        # addr_recv, addr_from, nonce
           + bytes([len(UA)]) + UA                         # user agent (CompactSize + string)
           + struct.pack("<i?", 850000, True))             # start height, relay

FX = Fx("bitcoin-version", "bitcoin", FlowView.tcp(message(b"version", VERSION),
                                                   message(b"version", VERSION) + message(b"verack", b"")),
        first="c", meta={"network": "mainnet", "commands": ["version", "version"], "user_agent": UA.decode()})


def test_incomplete_payload_needs_more():
    assert SPEC.probe(FlowView.tcp(message(b"version", VERSION)[:60]), {}).outcome == Outcome.NEED_MORE


NEAR_MISSES = [
    FlowView.tcp(message(b"version", VERSION)[:20] + b"\x00\x00\x00\x00" + VERSION),   # bad checksum
    FlowView.tcp(message(b"version", VERSION, magic=hx("f9beb4d8"))),                  # unknown magic
    FlowView.tcp(message(b"Version", VERSION)),                                        # not a command name
    FlowView.tcp(message(b"ver\x00sion", VERSION)),                                    # NUL inside the command
    FlowView.tcp(message(b"version", VERSION), message(b"version", VERSION, magic=hx("fabfb5da"))),   # two networks
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "bitcoin")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
