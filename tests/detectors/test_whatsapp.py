"""WhatsApp chat transport: the detector on its fixture (bytes of pcaps/corpus/whatsapp-N.pcap,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "whatsapp")

# pcaps/corpus/whatsapp-1.pcap: the FunXMPP-era opening (encrypted frames: patterns).
FX = Fx("whatsapp-funxmpp", "whatsapp", FlowView.tcp(
    b"WA\x01\x05"                                  # "WA", protocol 1.5
    b"\x00\x00\x17"                                # frame: flags 0, length 23
    b"\xf8\x05\x01\xa5\x91\x89\xfc\x0fAndroid-2.12.84"   # stream start (list token 0xF8, resource)
    b"\x00\x00\x08\xf8\x02\x9c\xf8\x04\xf8\x01\xf8"       # features
    b"\x80\x00\x3d" + b"\x6f" * 61,                # flags 0x8 (encrypted), length 61
    b"\x00\x00\x05\xf8\x03\x01\x3a\x91"            # server stream start
    b"\x00\x00\x03\xf8\x01\x9c"
    b"\x80\x00\x3d" + b"\x8d" * 61,
), first="c", meta={"version": "1.5", "era": "funxmpp"})
TRUNC = FlowView.tcp(b"WA\x01")


def frame(body, flags=0):
    return ((flags << 20) | len(body)).to_bytes(3, "big") + body


# pcaps/corpus/whatsapp-2.pcap: the Noise-era opening (HandshakeMessage protocol buffers).
NOISE = FlowView.tcp(b"WA\x06\x03" + frame(b"\x12\x22\x0a\x20" + b"\x01" * 32),   # clientHello{ephemeral}
                     frame(b"\x1a\x24\x0a\x20" + b"\x02" * 32 + b"\x12\x00"))   # serverHello{ephemeral, static}
NEAR_MISSES = [
    FlowView.tcp(b"WA\x09\x05" + FX.view.payload_c2s[4:]),          # no such protocol major
    FlowView.tcp(b"WA\x01\x05\x00\x00\x03abc"),                     # first frame neither FunXMPP nor Noise
    FlowView.tcp(b"WA\x01\x05\x40\x00\x03\xf8\x01\x02"),            # flags nibble 4
    FlowView.tcp(FX.view.payload_c2s, b"HTTP/1.1 400 Bad Request\r\n\r\n"),   # server does not frame
    FlowView.tcp(NOISE.payload_c2s, frame(b"\xf8\x01\x02")),        # Noise client, FunXMPP server
    FlowView.tcp(b"WAIT\r\n"),                                      # text
]


def test_noise_and_edge_routing():
    r = SPEC.probe(NOISE, {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"version": "6.3", "era": "noise"}
    edge = b"ED\x00\x01" + (5).to_bytes(3, "big") + b"route"          # edge-routing header first
    r = SPEC.probe(FlowView.tcp(edge + NOISE.payload_c2s, NOISE.payload_s2c), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.95


def test_positive():
    check_positive(FX, "whatsapp")


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
