"""Syncthing local discovery: the detector on its fixture (bytes of pcaps/corpus/syncthing-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "syncthing")

# pcaps/corpus/syncthing-2.pcap: an announcement with a TCP and a QUIC address.
ADDRS = [b"tcp://127.0.0.1:22000", b"quic://127.0.0.1:22000"]
ANN = (b"\x2e\xa7\xd9\x0b"                                  # magic
       + b"\x0a\x20" + bytes(range(32))                     # field 1: device ID, 32 bytes
       + b"".join(b"\x12" + bytes([len(a)]) + a for a in ADDRS)   # field 2: addresses
       + b"\x18\x88\xf3\xa9\xdb\xc5\xa9\x8f\x97\x1f")         # field 3: instance ID (varint)
FX = Fx("syncthing-announce", "syncthing", FlowView.udp([ANN, ANN]), first="c",
        meta={"addresses": "tcp://127.0.0.1:22000,quic://127.0.0.1:22000"})
TRUNC = FlowView.udp([ANN[:3]])
NEAR_MISSES = [
    FlowView.udp([b"\x2e\xa7\xd9\x0c" + ANN[4:]]),           # another magic
    FlowView.udp([ANN[:4] + b"\x0a\x10" + ANN[6:]]),         # a device ID that is not 32 bytes
    FlowView.udp([ANN + b"\x22\x01x"]),                      # an unknown field 4
    FlowView.udp([ANN, b"\x2e\xa7\xd9\x0b\x00"]),            # a second datagram breaks the rules
]


def test_positive():
    check_positive(FX, "syncthing")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


@pytest.mark.parametrize("view", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
