"""Gnutella: the detector on its fixture (spec-built bytes, the shape of
pcaps/corpus/gnutella-1.pcap, commented field by field): positive with metadata,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "gnutella")

REQUEST = (b"GNUTELLA CONNECT/0.6\r\n"                 # the connect line
           b"User-Agent: portlens-spec-built/0.1\r\n"
           b"X-Ultrapeer: False\r\n"
           b"\r\n")                                     # end of headers
ANSWER = (b"GNUTELLA/0.6 200 OK\r\n"                   # status line
          b"User-Agent: gtk-gnutella/1.2.2\r\n"
          b"X-Ultrapeer: True\r\n\r\n")

FX = Fx("gnutella-0.6", "gnutella", FlowView.tcp(REQUEST, ANSWER), first="c",
        meta={"version": "0.6", "status": 200, "user_agent": "portlens-spec-built/0.1"})


def test_gnutella_04():
    r = SPEC.probe(FlowView.tcp(b"GNUTELLA CONNECT/0.4\n\n", b"GNUTELLA OK\n\n"), {})
    assert r.outcome == Outcome.MATCH and r.metadata["version"] == "0.4" and r.metadata["status"] == 200


NEAR_MISSES = [
    FlowView.tcp(b"GNUTELLA CONNECT/x.y\r\n\r\n"),                 # no version number
    FlowView.tcp(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),             # HTTP
    FlowView.tcp(REQUEST, b"HTTP/1.1 400 Bad Request\r\n\r\n"),     # the peer is no servent
    FlowView.tcp(b"", b"GNUTELLA/0.6 200 OK\r\nnot a header line\r\n\r\n"),  # headers are Name: value
    FlowView.tcp(b"", b"GNUTELLA OK\n\nmore"),                   # 0.4's answer is exactly its line
    FlowView.tcp(b"", b"GNUTELLA/0.6 OK\r\n\r\n"),              # no status code
]


def test_the_answer_alone_is_claimed_below_an_exchange():
    # a capture holding only the answering servent's side (one direction, or the
    # connect line lost): the status line and its headers up to the empty line
    r = SPEC.probe(FlowView.tcp(b"", ANSWER), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.85
    assert r.metadata == {"version": "0.6", "status": 200, "user_agent": "gtk-gnutella/1.2.2"}
    assert SPEC.probe(FlowView.tcp(b"", b"GNUTELLA OK\n\n"), {}).metadata["version"] == "0.4"
    # the headers not all here yet: NEED_MORE
    assert SPEC.probe(FlowView.tcp(b"", ANSWER[:40]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.tcp(b"", b"GNUTELLA OK\n"), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "gnutella")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
