"""Beanstalkd: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "beanstalkd")

# pcaps/corpus/beanstalkd-1.pcap (spec-built): "use <tube>" echoed by "USING <tube>".
FX = Fx("beanstalkd-use", "beanstalkd", FlowView.tcp(b"use thumbnails\r\n", b"USING thumbnails\r\n"),
        first="c", meta={"command": "use", "tube": "thumbnails"})


def test_put_inserted():
    put = b"put 1024 0 60 5\r\nhello\r\n"        # priority, delay, ttr, bytes; the job
    r = SPEC.probe(FlowView.tcp(put, b"INSERTED 7\r\n"), {})
    assert r.outcome == Outcome.MATCH and r.metadata["command"] == "put"


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"use thumbnails\r\n", b"USING other\r\n"),          # not the tube it named
    FlowView.tcp(b"delete 7\r\n", b"DELETED\r\n"),                    # memcached says the same
    FlowView.tcp(b"touch 7\r\n", b"TOUCHED\r\n"),                     # likewise
    FlowView.tcp(b"put 1024 0 60\r\n", b"INSERTED 7\r\n"),            # put takes four numbers
    FlowView.tcp(b"put 1 0 60 5\r\nhello\r\n", b"USING default\r\n"),  # not an answer to put
    FlowView.tcp(b"stats\r\n", b"STAT pid 1\r\n"),                    # memcached's stats
    FlowView.tcp(b"use -bad\r\n", b"USING -bad\r\n"),                 # a name cannot start with "-"
    FlowView.tcp(b"use tube\n", b"USING tube\n"),                     # bare LF
    FlowView.tcp(b"POST / HTTP/1.1\r\n"),                             # HTTP
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "beanstalkd")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
