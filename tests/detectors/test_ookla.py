"""Ookla Speedtest: the detector on its fixture (bytes of pcaps/corpus/ookla-N.pcap,
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

SPEC = next(s for s in detector_list.SPECS if s.name == "ookla")

# pcaps/corpus/ookla-1.pcap: greeting with the client's GUID, one PING, QUIT.
FX = Fx("ookla-hi-ping", "ookla", FlowView.tcp(
    b"HI 8e17cb65-0000-4b39-adcc-97006a1e4537\n"      # greeting and the client's GUID
    b"PING 1700000000000\n"                           # latency probe (client clock, ms)
    b"QUIT\n",
    b"HELLO 2.9 (2.9.2) 2021-11-30.2159.0a1b2c3\n"    # server version, then build details
    b"PONG 1700000000012\n",
), first="c", meta={"server_version": "2.9", "client_id": "8e17cb65-0000-4b39-adcc-97006a1e4537"})
TRUNC = FlowView.tcp(b"HI ")
NEAR_MISSES = [
    FlowView.tcp(b"HIT me\n"),                                     # another word
    FlowView.tcp(b"HI\n", b"HELLO world\n"),                       # no version after HELLO
    FlowView.tcp(b"HI\n", b"220 smtp.example ESMTP\n"),            # a mail server answering
    FlowView.tcp(b"HI\nGET / HTTP/1.1\n"),                         # not a speedtest command
    FlowView.tcp(b"", b"HELLO 2.9\n220 ready\n"),                  # server alone: no answer of Ookla's
]


def test_client_commands_wait_for_the_server():
    assert SPEC.probe(FlowView.tcp(b"HI\nGETIP\n"), {}).outcome == Outcome.NEED_MORE


def test_positive():
    check_positive(FX, "ookla")


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


def test_the_server_alone_needs_an_answer_of_its_own_after_hello():
    hello = b"HELLO 2.9 (2.9.2) 2021-11-30.2159.0a1b2c3\n"
    r = SPEC.probe(FlowView.tcp(b"", hello + b"PONG 1638352051\n"), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.75
    assert r.metadata == {"server_version": "2.9"}
    assert SPEC.probe(FlowView.tcp(b"", hello + b"YOURIP 192.0.2.7\n"), {}).outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.tcp(b"", hello), {}).outcome == Outcome.NEED_MORE
    for s in (hello + b"250 ok\n", b"HELLO there\nPONG 1\n", hello + b"PONG soon\n"):
        assert SPEC.probe(FlowView.tcp(b"", s), {}).outcome == Outcome.NO_MATCH
