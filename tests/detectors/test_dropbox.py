"""Dropbox LAN sync discovery: the detector on its fixture (bytes of pcaps/corpus/dropbox-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "dropbox")

# pcaps/corpus/dropbox-2.pcap: the announcement a 1.8 client broadcasts, three times.
ANN = (b'{"host_int": 676879976, '          # the host's id
       b'"version": [1, 8], '               # discovery protocol version
       b'"displayname": "676879976", '
       b'"port": 17500, '                   # its LAN sync (db-lsp) port
       b'"namespaces": [167841216, 181083968, 181080324, 29544173]}')   # shared folders
FX = Fx("dropbox-lan-discovery", "dropbox", FlowView.udp([ANN, ANN, ANN]), first="c",
        meta={"version": "1.8", "port": 17500, "displayname": "676879976"})
TRUNC = FlowView.udp([ANN[:3]])             # a datagram cut by the capture's snap length
NEAR_MISSES = [
    FlowView.udp([b'{"host_int": 1, "version": [1, 8], "port": 17500}']),          # no namespaces
    FlowView.udp([ANN.replace(b'"port": 17500', b'"port": "17500"')]),             # port not a number
    FlowView.udp([b'{"messageType":"UPDATE","messageContent":"Fri Feb 19"}']),     # other JSON
    FlowView.udp([b"[1, 2, 3]"]),                                                   # not an object
    FlowView.udp([b'{"host_int": 1} trailing}']),                                   # not JSON
    FlowView.udp([ANN, b"\x40\x01\x00\x01"]),                                       # a CoAP datagram follows
]


def test_coap_does_not_win():
    # the row sits before coap's: whatever coap answers, the engine names it dropbox
    assert Engine().classify(FX.view).protocol == "dropbox"


def test_positive():
    check_positive(FX, "dropbox")


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
