"""tinc VPN meta-connection: the detector on its fixture (bytes of pcaps/corpus/tinc-N.pcap,
real tincd 1.0.36 on loopback (pcaps/gen/tinc.py), commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "tinc")

# pcaps/corpus/tinc-1.pcap: tincd 1.0.36 "bravo" connects to tincd "alpha"; each sends ID,
# then METAKEY (the RSA-encrypted key in hex, shortened here), then encrypted requests.
KEY_HEX = b"14E9F6CE5B0B4C1D0DDFB7D557158602F992DC473BDB0D6F1912B0DC5FA2185D" * 8
FX = Fx("tinc-meta", "tinc", FlowView.tcp(
    b"0 bravo 17\n"                                 # ID: request 0, node name, protocol 17
    b"1 429 672 0 0 " + KEY_HEX + b"\n",            # METAKEY: cipher, digest, MAC length, compression, key
    b"0 alpha 17\n"
    b"1 429 672 0 0 " + KEY_HEX + b"\n",
), first="c", meta={"client_name": "bravo", "server_name": "alpha", "protocol": "17"})
TRUNC = FlowView.tcp(b"0 b")
NEAR_MISSES = [
    FlowView.tcp(b"0 bravo 17\n", b"HTTP/1.1 400 Bad Request\r\n"),   # the server is no tinc
    FlowView.tcp(b"0 bra-vo 17\n", b"0 alpha 17\n"),                  # "-" is not allowed in names
    FlowView.tcp(b"0 bravo seventeen\n", b"0 alpha 17\n"),            # protocol not a number
    FlowView.tcp(b"0 bravo 17\nGET / HTTP/1.1\n"),                    # ID then no METAKEY
    FlowView.tcp(b"1 429 672 0 0 ABCD\n"),                            # METAKEY without ID
    FlowView.tcp(b"0\r\n\r\n"),                                       # HTTP chunked end
]


def test_tinc_1_1_protocol_and_one_side():
    r = SPEC.probe(FlowView.tcp(b"0 bravo 17.7\n", b"0 alpha 17.7\n"), {})
    assert r.outcome == Outcome.MATCH and r.metadata["protocol"] == "17.7"
    assert SPEC.probe(FlowView.tcp(b"0 bravo 17\n"), {}).outcome == Outcome.NEED_MORE
    r = SPEC.probe(FlowView.tcp(FX.view.payload_c2s), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.85


def test_positive():
    check_positive(FX, "tinc")


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
