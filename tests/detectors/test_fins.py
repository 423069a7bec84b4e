"""Omron FINS over UDP: the detector on its fixture (the bytes of pcaps/corpus/fins-1.pcap, a
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

SPEC = next(s for s in detector_list.SPECS if s.name == "fins")

READ = hx("80",                          # ICF: gateway, command, response wanted
          "00",                          # RSV
          "02",                          # GCT: gateway count 2
          "00", "0a", "00",              # destination network 0, node 10, unit 0
          "00", "64", "00",              # source network 0, node 100, unit 0
          "01",                          # SID 1
          "0101",                        # MRC/SRC: memory area read
          "82", "006400",                # area DM, word 100, bit 0
          "000a")                        # 10 words
REPLY = (hx("c0", "00", "02",            # ICF: response
            "00", "64", "00", "00", "0a", "00",   # addresses swapped
            "01",                        # SID 1, echoed
            "0101",                      # the command code, echoed
            "0000")                      # end code: normal completion
         + b"".join((100 + k).to_bytes(2, "big") for k in range(10)))   # the words

# fins-1.pcap: a memory area read and its response.
FX = Fx("fins-read", "fins", FlowView.udp([READ], [REPLY]), first="c",
        meta={"command": "memory-area-read", "sid": 1})
TRUNC = FlowView.udp([READ[:3]])


def test_lone_command_is_weaker():
    assert SPEC.probe(FlowView.udp([READ]), {}).confidence < SPEC.probe(FX.view, {}).confidence


# FINS/TCP (Omron W421 7.4): the client sends its node address, the server answers with
# both, then FINS frames ride in "FINS frame send" messages.
NODE_REQ = hx("46494e53",                # "FINS"
              "0000000c",                # length of what follows: 12
              "00000000",                # command 0: client node address data send
              "00000000",                # error code 0
              "00000000")                # client node address 0: let the server assign
NODE_RES = hx("46494e53", "00000010",    # "FINS", length 16
              "00000001",                # command 1: server node address data send
              "00000000",                # error code 0
              "000000ef",                # client node 239
              "00000001")                # server node 1
FRAME_SEND = hx("46494e53") + (8 + len(READ)).to_bytes(4, "big") + hx(
    "00000002",                          # command 2: FINS frame send
    "00000000") + READ                   # error code 0, then the FINS frame
# A controller status read (0x0601), one of the codes the first list lacked.
STATUS = READ[:10] + hx("0601")


def test_tcp_handshake():
    r = SPEC.probe(FlowView.tcp(NODE_REQ, NODE_RES), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9
    assert r.metadata["command"] == "node-address-data-send-client"


def test_tcp_frame_send_after_the_handshake():
    r = SPEC.probe(FlowView.tcp(NODE_REQ + FRAME_SEND, NODE_RES), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"command": "memory-area-read", "sid": 1}


def test_tcp_prefix_needs_more():
    assert SPEC.probe(FlowView.tcp(NODE_REQ[:6]), {}).outcome == Outcome.NEED_MORE


def test_more_command_codes():
    r = SPEC.probe(FlowView.udp([STATUS]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["command"] == "controller-status-read"


NEAR_MISSES = [
    FlowView.tcp(NODE_REQ[:4] + hx("0000000d") + NODE_REQ[8:] + b"\x00"),   # command 0 with length 13
    FlowView.tcp(NODE_REQ[:8] + hx("00000005") + NODE_REQ[12:]),          # FINS/TCP command 5
    FlowView.tcp(NODE_REQ[:12] + hx("00000026") + NODE_REQ[16:]),         # error code 0x26
    FlowView.tcp(NODE_REQ + FRAME_SEND[:16] + hx("82") + READ[1:]),       # the carried frame's ICF
    FlowView.tcp(b"FINAL REPORT\r\n"),                                   # text starting "FIN"
    FlowView.udp([READ], [REPLY[:9] + hx("02") + REPLY[10:]]),   # the response's SID differs
    FlowView.udp([READ[:1] + hx("01") + READ[2:]]),              # RSV not zero
    FlowView.udp([hx("82") + READ[1:]]),                         # a reserved ICF bit
    FlowView.udp([READ[:10] + hx("7f01") + READ[12:]]),          # unknown command code
    FlowView.udp([READ[:3] + hx("80") + READ[4:]]),              # destination network 128
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "fins")


def test_truncated_needs_more():
    assert SPEC.probe(TRUNC, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
