"""Zoom UDP encapsulations: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/zoom-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "zoom")

UUID = b"3F2A9C1E-7B4D-4E8A-9C61-0D5E7A2B8F14"


def p2p(ip):
    return (hx("1f" "0201")                              # media type 0x1f, 0x02 0x01
            + hx("000800010004" "00a1b2c3d4" "000000070000ab12" "0000")[:21]   # rest of the 24-byte header
            + struct.pack(">I", len(ip)) + ip            # the sender's address as text
            + struct.pack(">I", len(UUID)) + UUID        # a textual UUID
            + hx("00000000"))                            # four zero bytes end the datagram


FX = Fx("zoom-p2p", "zoom", FlowView.udp([p2p(b"192.0.2.10")], [p2p(b"198.51.100.20")]), first="c",
        meta={"kind": "p2p"})

RTP = hx("80" "70" "01f4" "00000000" "5ea1f00d") + bytes(60)    # RTP v2, PT 112, seq, ts, SSRC
AUDIO = (hx("05" "0007" "a1b2c3d4" "00")                          # SFU type 5, seq, 4 bytes, to Zoom
         + hx("0f") + bytes(8) + hx("0064" "00003e80") + bytes(4)   # media type 15 (audio), 19 bytes
         + RTP)


def test_sfu_media():
    r = SPEC.probe(FlowView.udp([AUDIO]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8 and r.metadata == {"kind": "sfu-media", "media": "audio"}


def test_header_is_24_bytes():
    assert len(p2p(b"x")[:24]) == 24 and p2p(b"192.0.2.10")[24:28] == hx("0000000a")


# SFU session setup: the client's type 1 (bytes 1-2 0x00 0x02, as nDPI's zoom.c lists),
# the server's type 2 repeating the client's bytes 3-19
SETUP_ID = hx("80" "5c1d2e3f4a5b6c7d8e9fa0b1c2d3e4f5")          # 17 bytes the answer repeats
SETUP_C = hx("01" "0002") + SETUP_ID + bytes(12) + hx("0200") + bytes(40)
SETUP_S = hx("02" "0001") + SETUP_ID + hx("005a0e3f") + bytes(11)
# keep-alive: a type-3 datagram answered by a type-4 one of the same length repeating
# bytes 1-12 (12 bytes), each side asking in turn
PING_C = hx("03" "000000" "12" "0ffe98d2" "00272ec9") + bytes(20)
PONG_S = hx("04") + PING_C[1:]
PING_S = hx("03" "000000" "15" "6d6e7c00" "00272ec9") + bytes(20)
PONG_C = hx("04") + PING_S[1:]


def test_sfu_setup():
    r = SPEC.probe(FlowView.udp([SETUP_C], [SETUP_S]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8 and r.metadata == {"kind": "sfu-setup"}
    assert SPEC.probe(FlowView.udp([SETUP_C]), {}).outcome == Outcome.NEED_MORE     # no answer yet


def test_sfu_keepalive():
    r = SPEC.probe(FlowView.udp([PING_C, PONG_C], [PING_S, PONG_S]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8 and r.metadata == {"kind": "sfu-keepalive"}
    assert SPEC.probe(FlowView.udp([PING_C], [PING_S]), {}).outcome == Outcome.NEED_MORE   # no answer yet


NEAR_MISSES = [
    FlowView.udp([SETUP_C], [SETUP_S[:5] + hx("ff") + SETUP_S[6:]]),  # the answer does not repeat the id
    FlowView.udp([SETUP_C], [hx("03") + SETUP_S[1:]]),                # the answer is not type 2
    FlowView.udp([hx("010004") + SETUP_C[3:]], [SETUP_S]),            # bytes 1-2 not 00 02 / 00 03
    FlowView.udp([hx("07") + PING_C[1:], PONG_C], [PING_S, PONG_S]),  # the flow opens with type 7
    FlowView.udp([p2p(b"192.0.2.10")[:-4] + hx("00000001")]),          # the end is not zeros
    FlowView.udp([p2p(b"192.0.2.10") + hx("00")]),                     # a byte past the attributes
    FlowView.udp([p2p(b"192.0.2.10").replace(UUID, UUID.lower().replace(b"-", b"g"))]),   # no UUID
    FlowView.udp([p2p(b"not an ip!")]),                                # no address
    FlowView.udp([AUDIO[:7] + hx("02") + AUDIO[8:]]),                  # unknown direction
    FlowView.udp([AUDIO[:27] + hx("00") + AUDIO[28:]]),                # no RTP version 2 inside
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


# keep-alives whose answers do not repeat them: not claimed (an answer to a request the
# capture missed may still come, so the probe waits within its budget)
UNANSWERED = [
    FlowView.udp([PING_C, PONG_C[:-1]], [PING_S, PONG_S[:-1]]),       # answers of another length
    FlowView.udp([PING_C, PONG_C[:8] + hx("ff") + PONG_C[9:]],
                 [PING_S, PONG_S[:8] + hx("ff") + PONG_S[9:]]),       # not repeated
]


@pytest.mark.parametrize("view", UNANSWERED)
def test_unanswered_keepalives(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "zoom")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
