"""Apache JServ Protocol 1.3: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "ajp")

def s(b):
    return struct.pack(">H", len(b)) + b + b"\0"                      # AJP string: length, bytes, NUL


FWD = (b"\x02\x02" + s(b"HTTP/1.1") + s(b"/index.jsp")              # Forward Request, GET, protocol, URI
       + s(b"127.0.0.1") + s(b"localhost") + s(b"localhost")         # remote addr / host, server name
       + struct.pack(">H", 80) + b"\0" + struct.pack(">H", 1)         # port, is_ssl, 1 header
       + struct.pack(">H", 0xA00B) + s(b"localhost") + b"\xff")       # Host: localhost; end of attributes
HDRS = b"\x04" + struct.pack(">H", 200) + s(b"OK") + struct.pack(">H", 0)   # Send Headers 200 OK
# pcaps/corpus/ajp-1.pcap (spec-built): a Forward Request and the response's headers.
FX = Fx("ajp-forward", "ajp", FlowView.tcp(
    b"\x12\x34" + struct.pack(">H", len(FWD)) + FWD,                 # web server -> container
    b"AB" + struct.pack(">H", len(HDRS)) + HDRS + b"AB\0\x02\x05\x01",  # headers; End Response
), first="c", meta={"method": "GET", "protocol": "HTTP/1.1", "uri": "/index.jsp", "status": 200})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"\x12\x34\0\x01\x0a", b"AC\0\x01\x09"),   # a CPong without its magic
    FlowView.tcp(b"\x12\x34" + struct.pack(">H", len(FWD)) + b"\x02\x63" + FWD[2:]),   # method code 99
    FlowView.tcp(b"\x12\x34\0\x01\x04"),   # a container's code from the web server
    FlowView.tcp(b"\x12\x35\0\x01\x0a"),   # not the magic
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "ajp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_cping_cpong():
    r = SPEC.probe(FlowView.tcp(b"\x12\x34\0\x01\x0a", b"AB\0\x01\x09"), {})
    assert r.outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.tcp(b"\x12\x34\0\x01\x0a"), {}).outcome == Outcome.NEED_MORE
