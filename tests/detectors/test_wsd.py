"""WS-Discovery (OASIS WS-DD 1.1) SOAP over UDP: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "wsd")

NS = (b'xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
      b'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
      b'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"')
# pcaps/corpus/wsd-1.pcap (spec-built): a Probe (the response is ProbeMatches).
PROBE = (b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope ' + NS + b'><soap:Header>'
         b'<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>'
         b'</soap:Header><soap:Body><wsd:Probe/></soap:Body></soap:Envelope>')
FX = Fx("wsd-probe", "wsd", FlowView.udp([PROBE], []), first="c", meta={"action": "Probe"},
        trunc=FlowView.udp([PROBE[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([PROBE.replace(b"ws/2005/04/discovery", b"ws/2005/04/elsewhere")]),   # no WS-Discovery namespace
    FlowView.udp([b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n"]),   # SSDP
    FlowView.udp([b"<html>" + PROBE]),   # not an envelope at the root
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "wsd")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
