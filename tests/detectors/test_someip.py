"""SOME/IP and SOME/IP-SD: the detector on its fixture (bytes of pcaps/corpus/someip-1.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "someip")

# someip-1.pcap: SD FindService, answered by OfferService with an IPv4 endpoint option.
FIND = hx("ffff 8100",  # message id: SOME/IP-SD
          "00000024",   # length 36 (from the request id on)
          "0000 0001",  # client id, session id
          "01 01 02 00",  # protocol version 1, interface version 1, notification, E_OK
          "c0 000000",  # SD flags (reboot, unicast), reserved
          "00000010",   # entries array: 16 bytes
          "00 00 00 00 1234 ffff 01 000003 00000000",   # FindService 0x1234, any instance
          "00000000")   # options array: empty
OFFER = hx("ffff8100 00000030 00000001 01010200 c0000000 00000010",
           "01 00 00 10 1234 0001 01 000003 00000000",   # OfferService, one option
           "0000000c", "0009 04 00 7f000001 00 11 772d")   # IPv4 endpoint 127.0.0.1 UDP 30509
FX = Fx("someip-sd", "someip", FlowView.udp([FIND], [OFFER]), first="c",
        meta={"service_id": "ffff", "message_type": "notification", "sd": True})
CALL = hx("1234 0421 00000011 0001 0001 01 01 00 00", "00000005 ababababab")   # a request


def test_method_call():
    r = SPEC.probe(FlowView.udp([CALL]), {})
    assert r.outcome == Outcome.MATCH and r.confidence < 1 and r.metadata["sd"] is False


# The shape of ndpi-dev's someip-udp-method-call.pcapng (a method call and its answer
# between two ephemeral ports, no SD in the flow): plain datagrams reach the probe on UDP
# whatever their first byte (udp=ANY behind the gate), so the engine names the exchange.
REQUEST = hx("1234 0008",   # message id: service 0x1234, method 0x0008
             "00000011",    # length 17: 8 more header bytes + 9 of payload
             "0000 0001",   # client id 0, session id 1
             "01 01 00 00",  # protocol version 1, interface version 1, REQUEST, E_OK
             "00000005 ababababab")   # the method's arguments
RESPONSE = REQUEST[:14] + b"\x80" + REQUEST[15:]   # the same ids, type RESPONSE, E_OK


def test_a_plain_exchange_is_named():
    label = Engine().classify(FlowView.udp([REQUEST], [RESPONSE]))
    assert label.protocol == "someip" and label.metadata["message_type"] == "request"


@pytest.mark.parametrize("view", [
    FlowView.udp([REQUEST[:10], REQUEST]),               # a datagram shorter than a header, then one
    FlowView.udp([REQUEST], [RESPONSE[:4] + b"\x01" + RESPONSE[5:]]),   # a length's top byte set
    FlowView.udp([REQUEST], [RESPONSE[:15] + b"\x5f" + RESPONSE[16:]]),  # return code 0x5F
])
def test_plain_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_sd_beats_dns():
    from classifier.detectors.engine import Engine
    assert Engine().classify(FX.view).protocol == "someip"


NEAR_MISSES = [
    FlowView.udp([CALL[:12] + b"\x02" + CALL[13:]]),          # protocol version 2
    FlowView.udp([CALL[:14] + b"\x03" + CALL[15:]]),          # no message type 3
    FlowView.udp([CALL + b"\x00"]),                           # length disagrees
    FlowView.udp([FIND[:20] + hx("0000000f") + FIND[24:]]),   # entries not a multiple of 16
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "someip")


def test_truncated_needs_more():
    v = FX.view
    first = v.payload_c2s[:3] if FX.first == "c" else v.payload_s2c[:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    for spec in detector_list.SPECS:
        # dns included: an answer-only standard response must have AA set, so this
        # datagram (FF FF 81 00 ... reads as a DNS header) is no longer DNS.
        if spec.probe and spec.name != "someip" and FX.view.transport in spec.transports:
            assert spec.probe(FX.view, {}).outcome != Outcome.MATCH, spec.name


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
