"""TeamSpeak 3 (TS3INIT1, and a server's weblist announcement): the detector on its
fixtures (spec-built bytes, the shape of pcaps/corpus/teamspeak-1.pcap, and the weblist
exchange as TS3SRV_SLE describes it, commented field by field): positive with metadata,
truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses, and no other
detector claims it (nor it another protocol's fixture).  The weblist exchange has no
capture of its own (pcaps/gen/games.py's spec-built TeamSpeak peer speaks Init1);
tools/ndpi_claims.py checks it on nDPI's teamspeak3.pcap."""
from __future__ import annotations

import struct  # noqa: F401

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "teamspeak")

C0 = (b"TS3INIT1"            # MAC: the init magic
      + hx("0065")           # packet id 101
      + hx("0000")           # client id 0
      + hx("88")             # type Init1 (8) | unencrypted (0x80)
      + hx("5f5916e0")       # client version
      + hx("00")             # step 0
      + hx("6543a1b2")       # timestamp
      + hx("1a2b3c4d")       # random
      + bytes(8))            # reserved
S1 = (b"TS3INIT1" + hx("0065")
      + hx("88")             # the server's header has no client id
      + hx("01")             # step 1
      + bytes(range(16))     # server stuff
      + hx("4d3c2b1a"))      # the client's random, reversed

FX = Fx("teamspeak-init1", "teamspeak", FlowView.udp([C0], [S1]), first="c", meta={"steps": [0, 1]})

# A TS3 server announcing itself to the server list (TS3SRV_SLE's PayloadProcessor.cs
# and OutgoingPayloadHandler.cs): header = 0x01 | sequence id (u16) | payload type.
W_REQ = hx("01" "0010" "01")                  # static 0x01, sequence 16, type 1: key request
W_KEY = W_REQ + hx("a1b2c3d4")                # the list echoes the header, then an auth key
W_NAME = b"My TS3"
W_UP = (hx("01" "0011" "02")                  # static, sequence 17, type 2: data upload
        + hx("a1b2c3d4")                      # the auth key the list handed out
        + struct.pack("<H", 9987)             # voice port, little-endian
        + struct.pack("<H", 50)               # slots
        + struct.pack("<H", 3)                # clients
        + hx("02")                            # flags: can create channels
        + bytes([len(W_NAME)]) + W_NAME)      # name length, name
W_OK = W_UP[:4] + hx("00")                    # the upload's header echoed, status 0 (ok)

FX_WEBLIST = Fx("teamspeak-weblist", "teamspeak", FlowView.udp([W_REQ, W_UP], [W_KEY, W_OK]),
                first="c", meta={"announced_port": 9987, "slots": 50})

NEAR_MISSES = [
    FlowView.udp([b"TS3INIT2" + C0[8:]]),                     # another magic
    FlowView.udp([C0[:8] + hx("0066") + C0[10:]]),            # another packet id
    FlowView.udp([C0[:17] + hx("01") + C0[18:]]),             # a server step from the client
    FlowView.udp([C0], [S1[:11] + hx("02") + S1[12:]]),       # a client step from the server
    FlowView.udp([C0[:12] + hx("08") + C0[13:]]),             # encrypted flag missing
    # weblist near misses
    FlowView.udp([W_REQ, W_UP], [W_KEY[:3] + hx("02") + W_KEY[4:], W_OK]),  # header not echoed
    FlowView.udp([W_REQ, W_UP[:4] + hx("a1b2c3d5") + W_UP[8:]], [W_KEY, W_OK]),  # another key
    FlowView.udp([W_REQ, W_UP + b"x"], [W_KEY, W_OK]),       # longer than its name length says
    FlowView.udp([W_REQ, W_UP], [W_KEY, W_OK + b"\x00"]),    # a longer answer
    FlowView.udp([W_REQ, W_UP], [W_KEY, hx("01001202") + hx("00")]),  # answer to another upload
    FlowView.udp([hx("02" "0010" "01"), W_UP], [hx("02" "0010" "01") + W_KEY[4:], W_OK]),  # not 0x01
    FlowView.udp([W_REQ + b"\x00", W_UP], [W_KEY, W_OK]),    # a request with a payload
    FlowView.udp([W_REQ], [W_KEY + b"\x00"]),                # a longer key reply
    FlowView.udp([W_UP], [W_OK]),                            # no key request first
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


@pytest.mark.parametrize("fx", [FX, FX_WEBLIST], ids=lambda f: f.id)
def test_positive(fx):
    check_positive(fx, "teamspeak")


@pytest.mark.parametrize("fx", [FX, FX_WEBLIST], ids=lambda f: f.id)
def test_truncated_needs_more(fx):
    check_truncated(fx, SPEC)


@pytest.mark.parametrize("fx", [FX, FX_WEBLIST], ids=lambda f: f.id)
def test_fragmented_delivery_gives_the_whole_outcome(fx):
    check_fragmented(fx, SPEC)


@pytest.mark.parametrize("fx", [FX, FX_WEBLIST], ids=lambda f: f.id)
def test_no_other_detector_claims_it(fx):
    check_claimed_alone(fx, SPEC)


def test_weblist_waits_for_the_upload():
    """The key request and its echo alone are too little to name: NEED_MORE."""
    assert SPEC.probe(FlowView.udp([W_REQ], [W_KEY]), {}).outcome == Outcome.NEED_MORE
    assert SPEC.probe(FlowView.udp([W_REQ]), {}).outcome == Outcome.NEED_MORE


def test_weblist_without_the_last_answer():
    """The upload carrying the list's key names the flow; the answer is optional."""
    r = SPEC.probe(FlowView.udp([W_REQ, W_UP], [W_KEY]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.9


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
