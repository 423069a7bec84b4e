"""LISP control messages (RFC 9301, RFC 6833): the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "lisp")

def record():
    """EID record (RFC 9301 5.6): TTL 1440, 1 locator, mask 32, A flag, version 0,
    EID 10.0.0.2 (AFI 1); the locator: priority 1, weight 100, multicast 255/0, L and R
    flags, 127.0.0.1 (AFI 1)."""
    return (struct.pack(">IBBHH", 1440, 1, 32, 0x1000, 0) + struct.pack(">H4s", 1, bytes([10, 0, 0, 2]))
            + struct.pack(">BBBBHH4s", 1, 100, 255, 0, 0x0005, 1, bytes([127, 0, 0, 1])))


def register(first=0x30, flags=0x01, auth=20):
    """Map-Register (type 3; Map-Notify: 0x40): flags, want-map-notify, 1 record, nonce,
    key id 1, auth data length and data."""
    return (struct.pack(">BBBB", first, 0, flags, 1) + bytes.fromhex("67ab931f9e8b974a")
            + struct.pack(">HH", 1, auth) + bytes(auth) + record())


# pcaps/corpus/lisp-1.pcap (spec-built): Map-Register and Map-Notify.
FX = Fx("lisp-register", "lisp", FlowView.udp([register()], [register(0x40, 0)]), first="c",
        meta={"message": "Map-Register", "records": 1}, trunc=FlowView.udp([register()[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([register() + b"\0"]),   # a byte after the last record
    FlowView.udp([register()[:-1]]),   # the locator cut short
    FlowView.udp([register(auth=80)]),   # 80 bytes of authentication data
    FlowView.udp([register()[:3] + b"\x02" + register()[4:]]),   # two records announced, one present
    FlowView.udp([register()[:46] + struct.pack(">H", 7) + register()[48:]]),   # EID-prefix AFI 7
    FlowView.udp([b"\x70" + register()[1:]]),   # type 7
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "lisp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_xtr_and_site_id_with_the_i_bit():
    with_ids = register(0x32) + bytes(24)           # I bit: xTR-ID (16) and site-ID (8) follow
    assert SPEC.probe(FlowView.udp([with_ids]), {}).outcome == Outcome.MATCH
    assert SPEC.probe(FlowView.udp([register() + bytes(24)]), {}).outcome == Outcome.NO_MATCH


# The Map-Server reliable transport over TCP (draft-kouvelas-lisp-map-server-reliable-
# transport; Wireshark's packet-lisp-tcp.c): type, length of the whole message, message
# id, data, end marker 0x9FACADE9.
def rt(mtype: int, mid: int, data: bytes) -> bytes:
    return (mtype.to_bytes(2, "big") + (12 + len(data)).to_bytes(2, "big")   # type, length
            + mid.to_bytes(4, "big") + data + bytes.fromhex("9facade9"))     # id, data, end marker


REG_ACK = rt(18, 0, bytes.fromhex("20" "0001" "0a000000"))   # Registration ACK: EID 10.0.0.0/32
REFRESH = rt(20, 1, bytes.fromhex("00" "0000"))              # Registration Refresh, scope 0


def test_reliable_transport_over_tcp():
    r = SPEC.probe(FlowView.tcp(REFRESH, REG_ACK + REFRESH[:6]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["message"] == "Registration-Refresh"


def test_reliable_transport_prefix_needs_more():
    assert SPEC.probe(FlowView.tcp(REFRESH[:9]), {}).outcome == Outcome.NEED_MORE


@pytest.mark.parametrize("view", [
    FlowView.tcp(REFRESH[:-1] + b"\x00"),                    # the end marker's last byte
    FlowView.tcp(rt(31, 0, b"")),                            # type 31: not a transport message
    FlowView.tcp(REFRESH[:2] + (len(REFRESH) - 1).to_bytes(2, "big") + REFRESH[4:]),   # length one short
])
def test_reliable_transport_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH
