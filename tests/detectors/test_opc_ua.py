"""OPC UA binary, UA Connection Protocol over TCP: the detector on its fixture (the bytes of pcaps/corpus/opc-ua-1.pcap, a
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

SPEC = next(s for s in detector_list.SPECS if s.name == "opc-ua")

URL = b"opc.tcp://127.0.0.1:4840/portlens"
HEL = (hx("48454c",                      # "HEL"
          "46")                          # chunk type 'F' (final)
       + (32 + len(URL)).to_bytes(4, "little")   # message size, header included
       + hx("00000000",                  # protocol version 0
            "00000100",                  # receive buffer size 65536
            "00000100",                  # send buffer size 65536
            "00000000",                  # max message size: no limit
            "00000000")                  # max chunk count: no limit
       + len(URL).to_bytes(4, "little") + URL)   # endpoint URL (UA String)
ACK = hx("41434b", "46", "1c000000",     # "ACK", 'F', size 28
         "00000000",                     # protocol version 0
         "00000100", "00000100",         # receive / send buffer sizes 65536
         "00000001",                     # max message size 16 MiB
         "88130000")                     # max chunk count 5000

# opc-ua-1.pcap: Hello and its Acknowledge.
FX = Fx("opc-ua-hello", "opc-ua", FlowView.tcp(HEL, ACK), first="c",
        meta={"endpoint_url": "opc.tcp://127.0.0.1:4840/portlens", "message_types": "HEL,ACK"})
TRUNC = FlowView.tcp(HEL[:20])           # a Hello cut inside its fields


def hello_with(at: int, value: bytes) -> bytes:
    return HEL[:at] + value + HEL[at + len(value):]


def test_hello_alone_is_weaker():
    assert SPEC.probe(FlowView.tcp(HEL), {}).confidence < SPEC.probe(FX.view, {}).confidence


SERVER_URI = b"urn:portlens:server"
# A reverse connection (OPC 10000-6 7.1.2.6): the UA server dials out and sends
# ReverseHello; the UA client answers with its Hello.
RHE = (hx("524845", "46")                # "RHE", 'F'
       + (8 + 4 + len(SERVER_URI) + 4 + len(URL)).to_bytes(4, "little")   # message size
       + len(SERVER_URI).to_bytes(4, "little") + SERVER_URI              # ServerUri
       + len(URL).to_bytes(4, "little") + URL)                           # EndpointUrl
# An OpenSecureChannel request head: "OPN", 'F', size, secure channel id 0.
OPN = hx("4f504e", "46", "84000000", "00000000") + bytes(0x84 - 12)


def test_reverse_hello_answered_by_hello():
    r = SPEC.probe(FlowView.tcp(RHE, HEL), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.95
    assert r.metadata["endpoint_url"] == URL.decode() and r.metadata["message_types"] == "RHE,HEL"


def test_hello_then_open_secure_channel():
    r = SPEC.probe(FlowView.tcp(HEL + OPN, ACK), {})
    assert r.outcome == Outcome.MATCH and r.metadata["message_types"] == "HEL,OPN,ACK"


NEAR_MISSES = [
    FlowView.tcp(HEL + OPN[:3] + b"C" + OPN[4:], ACK),      # OPN is never an intermediate chunk
    FlowView.tcp(HEL + OPN[:3] + b"A" + OPN[4:], ACK),      # nor an aborted one (only MSG is)
    FlowView.tcp(RHE[:-1], HEL),                            # ReverseHello one byte short of its URL
    FlowView.tcp(RHE, ACK),                                 # ReverseHello answered by Acknowledge
    FlowView.tcp(RHE[:3] + b"C" + RHE[4:], HEL),            # RHE with an intermediate chunk
    FlowView.tcp(hello_with(8, hx("01000000")), ACK),          # protocol version 1
    FlowView.tcp(hello_with(12, hx("00100000")), ACK),         # receive buffer 4096 < 8192
    FlowView.tcp(hello_with(4, hx("ff000000")), ACK),          # size runs past the URL
    FlowView.tcp(hello_with(3, b"C"), ACK),                    # HEL with an intermediate chunk
    FlowView.tcp(HEL, b"HTTP/1.1 400 Bad Request\r\n\r\n"),   # answered by something else
    FlowView.tcp(b"HELO mail.example.org\r\n"),               # SMTP's HELO
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "opc-ua")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_hello_cut_by_the_byte_budget():
    # A 4000-character endpoint URL: the Hello runs past the budget, its fixed fields decide.
    url = b"opc.tcp://h/" + b"x" * 3988
    hel = HEL[:4] + (32 + len(url)).to_bytes(4, "little") + HEL[8:28] + len(url).to_bytes(4, "little") + url
    cut = hel[:SPEC.max_bytes]
    assert SPEC.probe(FlowView.tcp(cut), {}).outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.tcp(cut[:8] + hx("01000000") + cut[12:]), {}).outcome == Outcome.NO_MATCH


# The server's side alone (one direction seen, or the client's Hello lost): its first
# message, whole and checked field by field, at 0.8.
ERR = (hx("455252", "46")                # "ERR", 'F'
       + (16 + 24).to_bytes(4, "little")  # message size
       + hx("00008380")                  # Error: Bad_TcpEndpointUrlInvalid (0x80830000)
       + (24).to_bytes(4, "little") + b"BadTcpEndpointUrlInvalid")   # Reason (UA String)


@pytest.mark.parametrize("s, types", [(ACK, "ACK"), (ACK + OPN, "ACK,OPN"), (ERR, "ERR"), (HEL, "HEL")])
def test_the_server_side_alone(s, types):
    r = SPEC.probe(FlowView.tcp(b"", s), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.8
    assert r.metadata["message_types"] == types


@pytest.mark.parametrize("s", [
    ACK[:8] + hx("01000000") + ACK[12:],          # Acknowledge of protocol version 1
    ACK[:12] + hx("00100000") + ACK[16:],         # receive buffer 4096 < 8192
    ERR[:11] + b"\x00" + ERR[12:],                # a Good status is no Error
    ERR[:-1] + b"!" + b"x",                       # the Reason runs past the message
    OPN,                                          # OpenSecureChannel alone: few bits
])
def test_the_server_side_alone_near_misses(s):
    assert SPEC.probe(FlowView.tcp(b"", s), {}).outcome != Outcome.MATCH
