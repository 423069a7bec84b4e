"""imo.im: the detector on spec-built bytes (nDPI imo.c's shapes and the length framing
they show; the bodies are filler).  imo's servers and clients are not installable here
and its wire format is not published, so pcaps/corpus/imo-1.pcap (peer to peer) and
imo-2.pcap (relayed) are spec-built from the same rules (pcaps/gen/msgapps.py).  Positive
with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near
misses, and no other detector claims it (nor it another protocol's fixture).  Checked on
real traffic with tools/ndpi_claims.py (imo.pcap)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "imo")

ID = hx("5e9a020000000000")                 # the 8 bytes a ping carries and its pong repeats
PING = hx("09" "02") + ID                   # length 9, type 2: nDPI's 10-byte shape
PONG = hx("09" "03") + ID                   # length 9, type 3
DATA_C = hx("14" "0d0000") + bytes(17)      # length 20, a body of type 0x0d
DATA_S = hx("0f" "0d0001") + bytes(12)      # length 15

FX = Fx("imo-peer", "imo", FlowView.udp([hx("07"), PING, DATA_C], [hx("76"), PONG, DATA_S]),
        first="c", meta={"shape": "ping"})

RELAY_PONG = hx("00" "09" "03") + ID        # behind a zero byte: nDPI's 11-byte shape
RELAY_BIG = hx("00" "815d" "0d0002") + bytes(218)     # base-128 length 0x81 0x5d = 221


def test_relay():
    view = FlowView.udp([hx("14") + bytes(20)], [RELAY_PONG, RELAY_BIG, hx("00" "08" "1a01") + bytes(6)])
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7 and r.metadata == {"shape": "relay-pong"}


def test_media_shape():
    media = hx("8849" "1a00") + bytes(1095)            # 1097 = (0x08 << 7) | 0x49 bytes follow
    r = SPEC.probe(FlowView.udp([media, DATA_C], [DATA_S]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"shape": "media"}


NEAR_MISSES = [
    FlowView.udp([PING, DATA_C + bytes(1)], [DATA_S + bytes(1)]),      # lengths that do not add up
    FlowView.udp([PING, hx("ffffff") + DATA_C], [hx("ffffff") + DATA_S]),   # lengths of no end
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


NOT_CLAIMED = [
    FlowView.udp([hx("0a" "02") + ID + hx("00"), DATA_C], [DATA_S]),  # framed, but no shape of nDPI's
    FlowView.udp([PING], [PONG]),                                      # two framed datagrams only
]


@pytest.mark.parametrize("view", NOT_CLAIMED)
def test_not_claimed(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "imo")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
