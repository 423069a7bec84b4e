"""NNTP (RFC 3977): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "usenet")

# pcaps/corpus/usenet-1.pcap (spec-built, RFC 3977 5.1, 5.2).
FX = Fx("usenet-capabilities", "usenet", FlowView.tcp(
    b"CAPABILITIES\r\n",
    b"200 news.portlens.test InterNetNews NNRP server ready (posting ok)\r\n"   # greeting
    b"101 Capability list:\r\nVERSION 2\r\nREADER\r\n.\r\n",             # its answer
), first="s", meta={"command": "CAPABILITIES"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"EHLO x\r\n", b"200 ready\r\n250 ok\r\n"),   # an SMTP command
    FlowView.tcp(b"CAPABILITIES\r\n", b"220 ready\r\n101 x\r\n"),   # a 220 greeting (SMTP/FTP)
    FlowView.tcp(b"GROUP a\r\n", b"200 ready\r\n101 odd\r\n"),   # GROUP answered with 1xx
    FlowView.tcp(b"CAPABILITIES\r\n", b"200-ready\r\n"),   # a multi-line greeting
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


# The shape of ndpi-dev's ossfuzz_seed_fake_traces_2.pcapng (Leafnode): the client's
# AUTHINFO line is cut before its CRLF; the keyword and the SP after it are there.
CUT = FlowView.tcp(
    b"AUTHINFO USER someone",                          # RFC 4643 2.3: AUTHINFO USER name (no CRLF yet)
    b"200 Leafnode NNTP Daemon, version 1.11 running at news.example\r\n",   # greeting 200 + SP + text
)


def test_a_command_cut_before_its_line_end():
    r = SPEC.probe(CUT, {})
    assert r.outcome == Outcome.MATCH and r.metadata["command"] == "AUTHINFO"


@pytest.mark.parametrize("client, outcome", [
    (b"AUTHINFO", Outcome.NEED_MORE),          # the keyword may go on: no SP yet
    (b"EHLO somewhere", Outcome.NO_MATCH),     # an SMTP keyword, delimited by its SP
    (b" AUTHINFO USER x", Outcome.NEED_MORE),  # a leading space is no keyword (and no line yet)
])
def test_cut_command_near_misses(client, outcome):
    view = FlowView.tcp(client, b"200 news.example ready\r\n")
    assert SPEC.probe(view, {}).outcome == outcome


def test_positive():
    check_positive(FX, "usenet")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_the_server_alone_with_its_capability_list():
    # a capture of the server's side only (one direction, or the reader's lost): the
    # greeting, then the capability list whose first line is VERSION (RFC 3977 5.2.2)
    r = SPEC.probe(FlowView.tcp(b"", FX.view.payload_s2c), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8
    assert r.metadata == {"greeting": "news.portlens.test InterNetNews NNRP server ready (posting ok)"}
    greeting = b"200 news.example ready\r\n"
    assert SPEC.probe(FlowView.tcp(b"", greeting), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.tcp(b"", greeting + b"101 Capa"), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("s", [
    b"200 ready\r\n250 ok\r\n",                           # another protocol's reply after it
    b"200 ready\r\n101 Capability list:\r\nREADER\r\n",   # VERSION is the list's first line
    b"200 ready\r\n101 x\r\nVERSION two\r\n",             # version numbers are digits
    b"220 ready\r\n101 x\r\nVERSION 2\r\n",               # a 220 greeting (SMTP/FTP)
])
def test_the_server_alone_near_misses(s):
    assert SPEC.probe(FlowView.tcp(b"", s), {}).outcome == Outcome.NO_MATCH
