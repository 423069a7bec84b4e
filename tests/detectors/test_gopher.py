"""Gopher (RFC 1436): the detector on its fixture (real bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "gopher")

# pcaps/corpus/gopher-1.pcap: curl 7.88 asks a socketserver gopher server for its root
# menu (gopher://127.0.0.1:25116/1/).
FX = Fx("gopher-root-menu", "gopher", FlowView.tcp(
    b"/\r\n",                              # selector "/" (curl keeps the URL's slash), CR LF
    b"iWelcome to the portlens gopher hole\tfake\t(NULL)\t0\r\n"   # type i: an info line
    b"1Docs\t/docs\t127.0.0.1\t25116\r\n"                         # type 1: a directory
    b"0About this server\t/about.txt\t127.0.0.1\t25116\r\n"       # type 0: a text file
    b"7Search the docs\t/search\t127.0.0.1\t25116\r\n"            # type 7: a search
    b".\r\n",                                                     # end of the menu
), first="c", meta={"selector": "/", "item_types": "i107"})

# pcaps/corpus/gopher-3.pcap: a type-7 search, the query after a TAB.
SEARCH = FlowView.tcp(b"/search\tportlens\r\n",
                      b"0portlens: a protocol classifier\t/docs/portlens.txt\t127.0.0.1\t25116\r\n.\r\n")


def test_search():
    r = SPEC.probe(SEARCH, {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"selector": "/search\tportlens", "item_types": "0"}


@pytest.mark.parametrize("c,s", [
    (b"/\r\n", b"HTTP/1.0 200 OK\r\n\r\n"),             # an answer that is no menu line
    (b"/\r\n", b"1Docs\t/docs\t127.0.0.1\r\n.\r\n"),      # a menu line without its port
    (b"/\r\n", b"1Docs\t/docs\t127.0.0.1\t70000\r\n"),     # a port beyond 65535
    (b"/\r\n", b".\r\n"),                                  # an empty answer
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"1a\tb\tc\t70\r\n"),   # the client sent more than a line
    (b"\x16\x03\x01\x00", b""),                             # not text
    (b"", b"1Docs\t/docs\th\t70\r\n"),                     # the server spoke first
])
def test_near_misses(c, s):
    assert SPEC.probe(FlowView.tcp(c, s), {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "gopher")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
