"""Munin node protocol: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "munin")

# pcaps/corpus/munin-1.pcap (spec-built, as munin-node(1) describes the exchange).
FX = Fx("munin-list", "munin", FlowView.tcp(
    b"list\n",                                                      # the master's command
    b"# munin node at portlens-node\n"                               # the node's banner
    b"cpu df load\n",                                               # the answer to "list"
), first="s", meta={"node": "portlens-node", "command": "list"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"list\n", b"# munin node at \n"),   # no host name
    FlowView.tcp(b"GET / HTTP/1.0\r\n", b"# munin node at a\n"),   # not a munin command
    FlowView.tcp(b"", b"# munin nodes at a\n"),   # a different banner
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "munin")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
