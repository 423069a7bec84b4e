"""STOMP 1.0-1.2: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "stomp")

# pcaps/corpus/stomp-1.pcap (spec-built): CONNECT / CONNECTED (STOMP 1.2).
FX = Fx("stomp-connect", "stomp", FlowView.tcp(
    b"CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\0",
    b"CONNECTED\nversion:1.2\nserver:portlens-spec/1\nheart-beat:0,0\n\n\0",
), first="c", meta={"version": "1.2", "host": "localhost", "server": "portlens-spec/1"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"CONNECT\naccept-version 1.2\n\n\0"),   # a header without its colon
    FlowView.tcp(b"CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n"),   # an HTTP CONNECT
    FlowView.tcp(b"CONNECT\nhost:a\n\n\0", b"HTTP/1.1 200 OK\r\n\r\n"),   # an answer that is no frame
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "stomp")


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
