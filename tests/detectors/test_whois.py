"""WHOIS (RFC 3912): the detector on its fixture (real bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import Fx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "whois")

# pcaps/corpus/whois-2.pcap: Debian's whois 5.5.17 asks a socketserver WHOIS server about
# the TLD "com" (`whois -h 127.0.0.1 -p PORT com`); the answer has IANA's shape.
FX = Fx("whois-tld-referral", "whois", FlowView.tcp(
    b"com\r\n",                                         # the query line, CR LF, nothing else
    b"% IANA WHOIS server\n"                             # "%" comments open the answer
    b"% for more information on IANA, visit http://www.iana.org\n"
    b"% This query returned 1 object\n"
    b"\n"
    b"refer:        whois.registry.example\n"            # RPSL field: where to ask next
    b"\n"
    b"domain:       COM\n"
    b"\n"
    b"organisation: Example Registry Services\n"
    b"status:       ACTIVE\n"
    b"whois:        whois.registry.example\n"
    b"created:      1985-01-01\n"
    b"source:       IANA\n",
), first="c", meta={"query": "com", "referral": "whois.registry.example"})

# pcaps/corpus/whois-1.pcap: a registry's record (ICANN format, fields indented, CR LF).
REGISTRY = FlowView.tcp(
    b"example.com\r\n",
    b"   Domain Name: EXAMPLE.COM\r\n"
    b"   Registry Domain ID: 2336799_DOMAIN_COM-VRSN\r\n"
    b"   Registrar WHOIS Server: whois.registrar.example\r\n"
    b"   Updated Date: 2024-08-14T07:01:34Z\r\n")

# pcaps/corpus/whois-3.pcap: RIPE flags passed on by the client, an RPSL inetnum object.
RPSL = FlowView.tcp(
    b"-r -T inetnum 192.0.2.1\r\n",
    b"% This is a test database query service.\n"
    b"% The objects are in RPSL format.\n"
    b"\n"
    b"inetnum:        192.0.2.0 - 192.0.2.255\n"
    b"netname:        TEST-NET-1\n")

# pcaps/corpus/whois-4.pcap: no match.
NO_MATCH = FlowView.tcp(
    b"nosuch.example\r\n",
    b'No match for "NOSUCH.EXAMPLE".\r\n'
    b">>> Last update of whois database: 2026-12-06T12:00:00Z <<<\r\n")


@pytest.mark.parametrize("view,meta", [
    (REGISTRY, {"query": "example.com", "referral": "whois.registrar.example"}),
    (RPSL, {"query": "-r -T inetnum 192.0.2.1"}),
    (NO_MATCH, {"query": "nosuch.example"}),
], ids=["registry", "rpsl", "no-match"])
def test_other_answers(view, meta):
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.confidence < 1 and r.metadata == meta


def test_comments_alone_wait_for_a_record_line():
    head = b"% This is a test database query service.\n% The objects are in RPSL format.\n\n"
    assert SPEC.probe(FlowView.tcp(b"192.0.2.1\r\n", head), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("c,s", [
    (b"alice\r\n", b"Login: alice          \t\t\tName: Alice\r\nDirectory: /home/alice\r\n"),  # finger
    (b"/\r\n", b"1Docs\t/docs\t127.0.0.1\t70\r\n.\r\n"),          # gopher
    (b"GET /\r\n", b"<html><body>Domain: none</body></html>\r\n"),  # HTTP/0.9: no field at a line's start
    (b"INFO\r\n", b"$12\r\n# Server\r\nredis_version:7.0.15\r\n"),   # redis inline
    (b"stats\r\n", b"STAT pid 1\r\nSTAT uptime 5\r\nEND\r\n"),      # memcached text
    (b"example.com\r\n", b"example.com\r\n"),                          # an echo
])
def test_text_answered_by_text_is_not_claimed(c, s):
    """A line answered by text without a WHOIS line: the probe keeps waiting (a WHOIS
    answer may open with a long notice) and the flow is never labelled whois."""
    view = FlowView.tcp(c, s)
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH
    assert Engine().classify(view).protocol != "whois"


@pytest.mark.parametrize("c,s", [
    (b"example.com\n", b"domain: EXAMPLE.COM\n"),                        # LF alone: not RFC 3912
    (b"a\r\nb\r\n", b"domain: A\n"),                                   # two lines from the client
    (b"", b"domain: A\n"),                                               # the server spoke first
    (b"\r\n", b"domain: A\n"),                                           # an empty query
    (b" example.com\r\n", b"domain: A\n"),                               # a query opening with a blank
    (b"ex\xc3\xa4mple.com\r\n", b"domain: A\n"),                         # not ASCII (IDNs go as A-labels)
    (b"example.com\r\n", b"\x00\x01domain: A\n"),                        # not text
    (b"example.com\r\n", b"x" * 1100 + b"\ndomain: A\n"),               # a line no WHOIS answer writes
    (b"\x16\x03\x01\x00\xa5", b""),                                      # TLS
])
def test_near_misses(c, s):
    assert SPEC.probe(FlowView.tcp(c, s), {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "whois")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
