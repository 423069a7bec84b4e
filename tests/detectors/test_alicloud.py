"""AliCloud agent framing: the detector on its fixture (bytes of pcaps/corpus/alicloud-N.pcap,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "alicloud")

# pcaps/corpus/alicloud-2.pcap: two client frames in one segment, two server frames
# (bodies are opaque; the capture's random bytes, shortened here to patterns).
def frame(n, fill=b"\xa5"):
    return (b"\xce\xfa\xbe\xba"              # magic
            + n.to_bytes(4, "little")        # body length, little-endian
            + fill * n)                      # body (opaque)


FX = Fx("alicloud-frames", "alicloud", FlowView.tcp(frame(128) + frame(80), frame(48) + frame(48)),
        first="c", meta={"frames": 4})
TRUNC = FlowView.tcp(frame(128)[:3])
NEAR_MISSES = [
    FlowView.tcp(b"\xce\xfa\xbe\xbb" + frame(8)[4:]),            # magic off by one bit
    FlowView.tcp(frame(8) + b"\x00" * 16),                       # a second frame without its magic
    FlowView.tcp(b"\xce\xfa\xbe\xba\x00\x00\x00\x00"),           # an empty body
    FlowView.tcp(b"\xce\xfa\xbe\xba\xff\xff\xff\x7f" + b"x" * 8),  # a length beyond any message
    FlowView.tcp(frame(8), b"HTTP/1.1 400 Bad Request\r\n\r\n"),   # the server does not frame
]


def test_header_alone_then_body():
    # the header may arrive alone: MORE until the body completes the frame
    assert SPEC.probe(FlowView.tcp(frame(128)[:8]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.tcp(frame(128)), {}).outcome == Outcome.MATCH


def test_positive():
    check_positive(FX, "alicloud")


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
