"""RMCP: the detector on its fixture (the bytes of pcaps/corpus/rmcp-1.pcap, a
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

SPEC = next(s for s in detector_list.SPECS if s.name == "rmcp")

PING = hx("06",                          # RMCP version 1.0
          "00",                          # reserved
          "ff",                          # sequence: no RMCP ACK
          "06",                          # class ASF
          "000011be",                    # IANA enterprise 4542 (ASF)
          "80",                          # Presence Ping
          "21",                          # message tag
          "00",                          # reserved
          "00")                          # data length 0
PONG = hx("06", "00", "ff", "06", "000011be",
          "40",                          # Presence Pong
          "21", "00",
          "10",                          # data length 16
          "000011be",                    # IANA enterprise 4542
          "00000000",                    # OEM defined
          "81",                          # supported entities: IPMI, ASF 1.0
          "00",                          # supported interactions
          "000000000000")                # reserved

# rmcp-1.pcap: a presence ping and its pong.
FX = Fx("rmcp-ping", "rmcp", FlowView.udp([PING], [PONG]), first="c",
        meta={"message_class": "asf", "message": "presence-ping"})
TRUNC = FlowView.udp([PING[:3]])
# An IPMI 1.5 Get Channel Authentication Capabilities request (rmcp-2.pcap).
IPMI = hx("06", "00", "ff", "07",         # RMCP header: version, reserved, no ACK, class IPMI
          "00",                          # auth type none
          "00000000", "00000000",        # session sequence, session id
          "09",                          # message length 9
          "20", "18", "c8",              # rsAddr BMC, netFn App request, checksum
          "81", "00", "38",              # rqAddr, rqSeq, Get Channel Auth Capabilities
          "0e", "04",                    # this channel, privilege Administrator
          "35")                          # checksum


# RMCP+ (IPMI 2.0 13.6): an authenticated IPMI message and its integrity trailer.
RMCPP_AUTH = hx("06", "00", "ff", "07",   # RMCP header, class IPMI
                "06",                    # auth type RMCP+
                "40",                    # payload type: authenticated, IPMI message
                "a0a2a3a4",              # session id
                "03000000",              # session sequence 3
                "0800",                  # payload length 8 (little-endian)
                "2018c881", "04013b00",  # the (here opaque) payload
                "ffff",                  # integrity pad: 12 + 8 + 2 + 2 = 24, a multiple of 4
                "02",                    # pad length 2
                "07",                    # next header
                "000102030405060708090a0b")   # AuthCode, HMAC-SHA1-96
# The OEM explicit payload (type 2) carries OEM IANA and payload id before the session id.
RMCPP_OEM = hx("06", "00", "ff", "07", "06", "02",
               "00000157",               # OEM IANA
               "0001",                   # OEM payload id
               "00000000", "00000000",   # session id, sequence
               "0400",                   # payload length 4
               "deadbeef")
ACK = hx("06", "00", "01", "86")         # RMCP ACK of an ASF message of sequence 1
CAPS = hx("06", "00", "02", "06", "000011be",
          "81",                          # Capabilities Request
          "22", "00", "00")              # tag, reserved, no data


def test_rmcpp_authenticated_with_trailer():
    r = SPEC.probe(FlowView.udp([RMCPP_AUTH]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["message_class"] == "ipmi2"


def test_rmcpp_oem_explicit_payload():
    assert SPEC.probe(FlowView.udp([RMCPP_OEM]), {}).outcome == Outcome.MATCH


def test_ipmi15_legacy_pad():
    assert SPEC.probe(FlowView.udp([IPMI + hx("00")]), {}).outcome == Outcome.MATCH


def test_asf_request_and_ack():
    r = SPEC.probe(FlowView.udp([CAPS], [ACK]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["message"] == "capabilities-request"


def test_ipmi_request():
    r = SPEC.probe(FlowView.udp([IPMI]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["message_class"] == "ipmi"


NEAR_MISSES = [
    FlowView.udp([PING[:4] + hx("000011bf") + PING[8:]]),    # another enterprise number
    FlowView.udp([PING + b"\x00"]),                          # data length says 0, one more byte
    FlowView.udp([PING[:1] + hx("01") + PING[2:]]),          # reserved byte set
    FlowView.udp([IPMI[:-1] + hx("36")]),                    # second IPMI checksum wrong
    FlowView.udp([hx("06000000")]),                          # class 0
    FlowView.udp([CAPS], [hx("0600ff86")]),                  # an ACK of sequence 0xFF
    FlowView.udp([CAPS], [hx("06000180")]),                  # an ACK of class 0
    FlowView.udp([RMCPP_AUTH[:-1]]),                         # an AuthCode of 11 bytes
    FlowView.udp([RMCPP_AUTH[:24] + hx("fe") + RMCPP_AUTH[25:]]),   # integrity pad byte not 0xFF
    FlowView.udp([RMCPP_AUTH[:5] + hx("00") + RMCPP_AUTH[6:]]),     # unauthenticated, yet a trailer
    FlowView.udp([IPMI + hx("01")]),                         # a pad byte that is not 0x00
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "rmcp")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
