"""MQTT-SN 1.2: the detector on its fixture (the bytes of pcaps/corpus/mqtt-sn-1.pcap, a
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

SPEC = next(s for s in detector_list.SPECS if s.name == "mqtt-sn")

SEARCHGW = hx("03",                      # length 3
              "01",                      # SEARCHGW
              "01")                      # radius 1
GWINFO = hx("03", "02", "07")            # GWINFO, gateway id 7
CONNECT = (hx("17",                      # length 23
              "04",                      # CONNECT
              "04",                      # flags: CleanSession
              "01",                      # protocol id 0x01
              "003c")                    # duration 60 s
           + b"portlens-sensor-1")       # client id
CONNACK = hx("03", "05", "00")           # CONNACK, accepted

# mqtt-sn-1.pcap: gateway search, then connect.
FX = Fx("mqtt-sn-connect", "mqtt-sn", FlowView.udp([SEARCHGW, CONNECT], [GWINFO, CONNACK]), first="c",
        meta={"message": "searchgw", "client_id": "portlens-sensor-1"})
TRUNC = FlowView.udp([SEARCHGW])         # a lone SEARCHGW: 3 bytes say too little


def test_connect_alone_is_weaker():
    assert SPEC.probe(FlowView.udp([CONNECT]), {}).confidence < SPEC.probe(FX.view, {}).confidence


# A QoS 2 publish (MQTT-SN 1.2 5.4.12-5.4.14): PUBLISH, then PUBREC from the gateway.
PUBLISH_QOS2 = hx("0b",                  # length 11
                  "0c",                  # PUBLISH
                  "40",                  # flags: QoS 2, normal topic id
                  "0001",                # topic id 1
                  "0002") + b"21.5"      # message id 2, data
PUBREC = hx("04", "0f", "0002")          # PUBREC for message id 2
# A PUBLISH of 300 bytes in the 3-octet length form (5.2.1).
LONG_PUBLISH = hx("01", "012c", "0c", "00", "0001", "0003") + bytes(300 - 9)


def test_qos2_publish_after_connect():
    r = SPEC.probe(FlowView.udp([CONNECT, PUBLISH_QOS2], [CONNACK, PUBREC]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["message"] == "connect"


def test_long_length_form_after_connect():
    r = SPEC.probe(FlowView.udp([CONNECT, LONG_PUBLISH], [CONNACK]), {})
    assert r.outcome == Outcome.MATCH


NEAR_MISSES = [
    FlowView.udp([LONG_PUBLISH]),                           # a lone long PUBLISH opens nothing
    FlowView.udp([CONNECT, LONG_PUBLISH + b"x"], [CONNACK]),  # 3-octet length one short
    FlowView.udp([CONNECT, hx("03", "11", "00")], [CONNACK]),  # reserved type 0x11
    FlowView.udp([CONNECT + b"x"]),                          # length one short of the datagram
    FlowView.udp([CONNECT[:3] + hx("02") + CONNECT[4:]]),    # protocol id 2
    FlowView.udp([CONNECT[:6] + b"portlens sensor-1"]),      # a space in the client id
    FlowView.udp([hx("03", "0c", "00")]),                    # a lone 3-byte "PUBLISH"
    FlowView.udp([SEARCHGW], [hx("03", "05", "09")]),        # CONNACK return code 9
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "mqtt-sn")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
