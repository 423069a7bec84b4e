"""KNXnet/IP: the detector on its fixture (the bytes of pcaps/corpus/knxnet-ip-1.pcap, a
spec-built exchange, commented field by field): positive with metadata, truncated ->
NEED_MORE, fed in fragments -> the same outcome, near misses, and no other detector
claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "knxnet-ip")

HPAI = hx("08",                          # structure length 8
          "01",                          # host protocol IPv4 UDP
          "7f000001",                    # 127.0.0.1
          "9c40")                        # port 40000
SEARCH = hx("06",                        # header length
            "10",                        # protocol version 1.0
            "0201",                      # SEARCH_REQUEST
            "000e") + HPAI               # total length 14 = the datagram
RESPONSE = (hx("06", "10", "0202",       # SEARCH_RESPONSE
               "004c")                   # total length 76
            + hx("08017f0000010e57")     # control endpoint HPAI, port 3671
            + hx("36", "01", "20", "00", "1101", "0000")   # device DIB: length 54, KNX TP1, status, address, project
            + hx("000102030405", "e000170c", "00246d010203")  # serial, multicast 224.0.23.12, MAC
            + b"portlens KNX router".ljust(30, b"\x00")   # friendly name
            + hx("08", "02", "0201", "0301", "0401"))   # supported service families DIB

# knxnet-ip-1.pcap: a search and its response.
FX = Fx("knxnet-ip-search", "knxnet-ip", FlowView.udp([SEARCH], [RESPONSE]), first="c",
        meta={"service": "search-request"})
TRUNC = FlowView.udp([SEARCH[:3]])


def test_one_frame_is_weaker():
    assert SPEC.probe(FlowView.udp([SEARCH]), {}).confidence < SPEC.probe(FX.view, {}).confidence


TCP_HPAI = hx("08", "02",              # structure length 8, host protocol IPv4 TCP
              "00000000", "0000")        # "route back": address and port 0 over TCP
CONNECT_TCP = (hx("06", "10", "0205", "001a")   # CONNECT_REQUEST, total length 26
               + TCP_HPAI + TCP_HPAI     # control and data endpoints
               + hx("04", "04", "02", "00"))    # CRI: length 4, tunnel connection, link layer
CONNECT_RES_TCP = (hx("06", "10", "0206", "0014")   # CONNECT_RESPONSE, total length 20
                   + hx("01", "00")      # channel 1, status E_NO_ERROR
                   + TCP_HPAI
                   + hx("04", "04", "1101"))   # CRD: tunnel connection, address 1.1.1
# A tunnelling v2 feature get (service 0x0422): connection header (length 4, channel 1,
# sequence 0, reserved), feature BusStatus (3), reserved.
FEATURE_GET = hx("06", "10", "0422", "000c", "04", "01", "00", "00", "03", "00")


def test_tcp_connect_and_response():
    r = SPEC.probe(FlowView.tcp(CONNECT_TCP, CONNECT_RES_TCP), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.95
    assert r.metadata["service"] == "connect-request"


def test_tcp_frames_tile_the_stream():
    # two frames in one segment, the second still arriving
    r = SPEC.probe(FlowView.tcp(CONNECT_TCP + FEATURE_GET[:7]), {})
    assert r.outcome == Outcome.MATCH


def test_tcp_prefix_needs_more():
    assert SPEC.probe(FlowView.tcp(CONNECT_TCP[:10]), {}).outcome == Outcome.NEED_MORE


def test_tunnelling_v2_feature_service():
    r = SPEC.probe(FlowView.udp([FEATURE_GET]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["service"] == "tunnelling-feature-get"


NEAR_MISSES = [
    FlowView.tcp(CONNECT_TCP + hx("0610077700060000")),     # a second frame with an unknown service
    FlowView.tcp(CONNECT_TCP[:4] + hx("0005") + CONNECT_TCP[6:]),   # total length 5 < header
    FlowView.udp([SEARCH + b"\x00"]),                        # total length one short of the datagram
    FlowView.udp([hx("0611") + SEARCH[2:]]),                 # protocol version 1.1
    FlowView.udp([SEARCH[:4] + hx("000e") + hx("07") + HPAI[1:]]),   # HPAI structure length 7
    FlowView.udp([hx("06100777000e") + HPAI]),               # unknown service type 0x0777
    FlowView.udp([SEARCH[:6] + hx("0803") + HPAI[2:]]),      # host protocol 3
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "knxnet-ip")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
