"""LPD (RFC 1179): the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "lpd")

# pcaps/corpus/lpd-1.pcap (spec-built): 02 "receive a printer job" for queue lp, the
# server's 0x00 acknowledgement, then subcommand 02 "receive control file": byte count,
# SP, cfA + job number 042 + host name.
FX = Fx("lpd-receive-job", "lpd", FlowView.tcp(b"\x02lp\n" + b"\x0262 cfA042client\n", b"\x00\x00"),
        first="c", meta={"command": "receive-job", "queue": "lp"},
        trunc=FlowView.tcp(b"\x02lp"))


def test_queue_state():
    r = SPEC.probe(FlowView.tcp(b"\x03lp\n", b"lp is ready and printing\nno entries\n"), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 0.9 and r.metadata["command"] == "queue-state-short"


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"\x02lp\n", b"\x01"),                         # not the acknowledgement
    FlowView.tcp(b"\x02lp\n\x0262 xfA042client\n", b"\x00"),    # not a control file name
    FlowView.tcp(b"\x02l p\n", b"\x00"),                        # a space in the queue name
    FlowView.tcp(b"\x06lp\n", b"\x00"),                         # no command 06
    FlowView.tcp(b"\x02\n", b"\x00"),                           # no queue
    FlowView.tcp(b"\x03lp\n", b"\x00\x01\x02binary"),           # the queue state is text
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "lpd")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
