"""Automatic tank gauge (Veeder-Root TLS): the detector on its fixture (bytes of pcaps/corpus/atg-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "atg")

# atg-1.pcap: in-tank inventory in display format, all tanks.
CMD = hx("01") + b"I20100" + b"\r\n"           # SOH, I (inquiry, display format) 201 00, CR LF
REPORT = (hx("01") + b"\r\nI20100\r\nDEC  6, 2026  2:30 PM\r\n\r\nPORTLENS FUEL\r\n\r\n"
          b"IN-TANK INVENTORY\r\n\r\n" + hx("03"))           # echoed code, report, ETX
FX = Fx("atg-inventory", "atg", FlowView.tcp(CMD, REPORT), first="c", meta={"function": "I20100"})


def test_command_alone_is_weaker():
    r = SPEC.probe(FlowView.tcp(CMD), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.9


def test_computer_format_without_line_end():
    # atg-2.pcap: "i20100" (computer format) without CR LF, answered with the same code.
    r = SPEC.probe(FlowView.tcp(hx("01") + b"i20100", hx("01") + b"i201002612061430" + b"&&EF95" + hx("03")), {})
    assert r.outcome == Outcome.MATCH and r.metadata["function"] == "i20100"


NEAR_MISSES = [
    FlowView.tcp(hx("01") + b"X20100\r\n"),                   # no function letter X
    FlowView.tcp(hx("01") + b"I2O100\r\n"),                   # a letter among the digits
    FlowView.tcp(CMD, hx("01") + b"\r\nI20200\r\n"),          # answers another function
    FlowView.tcp(hx("01") + b"I20100" + hx("00ff") + b"\r\n"),   # binary after the code
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "atg")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
