"""NATS client protocol: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "nats")

INFO = (b'INFO {"server_id":"NDPORTLENS","version":"2.10.0","proto":1,'
        b'"host":"127.0.0.1","port":4222,"max_payload":1048576}\r\n')
CONNECT = b'CONNECT {"verbose":false,"pedantic":false,"lang":"python3","version":"2.0.0"}\r\nPING\r\n'
# pcaps/corpus/nats-1.pcap (spec-built): INFO, CONNECT, PING / PONG.
FX = Fx("nats-connect", "nats", FlowView.tcp(CONNECT, INFO + b"PONG\r\n"), first="s",
        meta={"server_version": "2.10.0", "client_lang": "python3"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(CONNECT, b"INFO server ready\r\n"),   # INFO without a JSON object
    FlowView.tcp(CONNECT, b"INFO {\"a\":1}\r\n"),   # an INFO object naming neither server_id nor version
    FlowView.tcp(b"CONNECT example.com:443 HTTP/1.1\r\n\r\n", INFO),   # an HTTP CONNECT
    FlowView.tcp(b"", b"INFO {broken\r\n"),   # invalid JSON
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "nats")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
