"""FastCGI 1.0: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "fastcgi")

def rec(t, content, rid=1):
    """Record header (FastCGI 3.3): version 1, type, request id, content and padding
    lengths, reserved; content; padding to 8 bytes."""
    pad = -len(content) % 8
    return struct.pack(">BBHHBB", 1, t, rid, len(content), pad, 0) + content + bytes(pad)


PARAMS = b"\x0f\x0eSCRIPT_FILENAME/srv/index.php" + b"\x0e\x03REQUEST_METHODGET"
# pcaps/corpus/fastcgi-1.pcap (spec-built): one responder request.
FX = Fx("fastcgi-request", "fastcgi", FlowView.tcp(
    rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, PARAMS) + rec(4, b"") + rec(5, b""),   # BEGIN, PARAMS, STDIN
    rec(6, b"Content-type: text/plain\r\n\r\nok") + rec(6, b"") + rec(3, bytes(8)),  # STDOUT, END_REQUEST
), first="c", meta={"role": "responder", "records": "BEGIN_REQUEST,PARAMS,STDIN"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(rec(1, struct.pack(">HB5x", 7, 0)), rec(6, b"x")),   # role 7
    FlowView.tcp(rec(6, b"x"), rec(6, b"x")),   # the web server does not open with STDOUT
    FlowView.tcp(b"\x02" + rec(1, struct.pack(">HB5x", 1, 0))[1:], rec(6, b"x")),   # version 2
    FlowView.tcp(rec(9, b"", rid=3), rec(10, b"", rid=0)),   # GET_VALUES with a request id
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "fastcgi")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
