"""Roughtime: the detector on its fixture (bytes of pcaps/corpus/roughtime-N.pcap,
spec-built by pcaps/gen/peers/apps_peer.py, commented field by field): positive with
metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome, near misses,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "roughtime")

def message(fields):
    """A Roughtime message: u32 LE tag count, N-1 u32 LE offsets, N tags, values."""
    offsets, off = [], 0
    for _tag, value in fields[:-1]:
        off += len(value)
        offsets.append(off.to_bytes(4, "little"))
    return (len(fields).to_bytes(4, "little") + b"".join(offsets)
            + b"".join(t for t, _ in fields) + b"".join(v for _, v in fields))


# pcaps/corpus/roughtime-1.pcap: Google-style request (unframed, padded to 1024) and
# the signed response (SIG, PATH, SREP, CERT, INDX; nested messages inside).
REQ = message([(b"NONC", b"\x44" * 64), (b"PAD\xff", bytes(1024 - 16 - 64))])
SREP = message([(b"RADI", (1000000).to_bytes(4, "little")), (b"MIDP", bytes(8)), (b"ROOT", b"\x55" * 64)])
RESP = message([(b"SIG\x00", b"\x66" * 64), (b"PATH", b""), (b"SREP", SREP),
                (b"CERT", message([(b"SIG\x00", b"\x77" * 64), (b"DELE", b"\x88" * 64)])),
                (b"INDX", bytes(4))])
FX = Fx("roughtime-google", "roughtime", FlowView.udp([REQ], [RESP]), first="c",
        meta={"tags": "NONC,PAD", "framed": False})
TRUNC = FlowView.udp([REQ[:3]])


def framed(m):
    return b"ROUGHTIM" + len(m).to_bytes(4, "little") + m


# pcaps/corpus/roughtime-3.pcap: IETF framing over TCP.
IETF_REQ = message([(b"VER\x00", (0x8000000B).to_bytes(4, "little")), (b"NONC", b"\x44" * 32),
                    (b"ZZZZ", bytes(952))])
NEAR_MISSES = [
    FlowView.udp([message([(b"PAD\xff", bytes(16)), (b"NONC", bytes(64))])]),   # tags out of order
    FlowView.udp([message([(b"NONC", bytes(64)), (b"XXXX", bytes(16))])]),      # an unknown tag
    FlowView.udp([REQ[:4] + (3).to_bytes(4, "little") + REQ[8:]]),              # offset not a multiple of 4
    FlowView.udp([(200).to_bytes(4, "little") + bytes(60)]),                    # an absurd tag count
    FlowView.tcp(IETF_REQ),                                                      # TCP needs the frame
    FlowView.tcp(framed(IETF_REQ)[:8] + (10).to_bytes(4, "little") + IETF_REQ),  # frame length disagrees
]


def test_ietf_framed_tcp():
    r = SPEC.probe(FlowView.tcp(framed(IETF_REQ)), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"tags": "VER,NONC,ZZZZ", "framed": True}


def test_positive():
    check_positive(FX, "roughtime")


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
