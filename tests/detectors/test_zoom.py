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
from fixtures import FIXTURES, Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_fragmented, check_positive, check_truncated

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


NEAR_MISSES = [
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


def test_positive():
    check_positive(FX, "zoom")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


@pytest.mark.parametrize("fx", [f for f in FIXTURES if f.view.transport in SPEC.transports],
                         ids=lambda f: f.id)
def test_it_claims_no_other_protocol(fx):
    assert SPEC.probe(fx.view, {}).outcome != Outcome.MATCH
