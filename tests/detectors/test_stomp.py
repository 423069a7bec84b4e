"""STOMP 1.0-1.2: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

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


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_the_server_alone_is_claimed_below_an_exchange():
    # a capture holding only the broker's side (one direction, or the CONNECT lost):
    # the CONNECTED frame of pcaps/corpus/stomp-1.pcap
    r = SPEC.probe(FlowView.tcp(b"", FX.view.payload_s2c), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.85
    assert r.metadata == {"version": "1.2", "server": "portlens-spec/1"}
    assert SPEC.probe(FlowView.tcp(b"", b"CONNECTED\nvers"), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("s", [
    b"ERROR\nmessage:malformed frame received\n\n\0",     # ERROR alone: a common word
    b"CONNECTED\nfoo:bar\n\n\0",                          # none of CONNECTED's headers
    b"CONNECTED\nversion 1.2\n\n\0",                      # a header without its colon
    b"CONNECTED TO SERVER\r\n",                           # a line of another protocol
])
def test_server_alone_near_misses(s):
    assert SPEC.probe(FlowView.tcp(b"", s), {}).outcome == Outcome.NO_MATCH
