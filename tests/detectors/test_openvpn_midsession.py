"""OpenVPN met in the middle of a session (issue 15, partial flows): the hard resets
were lost or never seen, but every control-channel packet still carries its sender's
session id, and an acknowledging one the peer's (the shapes of pcaps/corpus/openvpn-2
and openvpn-3 after their first datagrams/segments, commented field by field)."""
from __future__ import annotations

import pytest

from classifier.detectors import openvpn
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from fixtures import hx

CLIENT, SERVER = "91877820a2ee997f", "68303ed2a113bc3a"      # the two session ids
TLS = hx("1603010010") + bytes(16)                          # a TLS handshake record
# P_CONTROL_V1 (4 << 3), client session, 1 ack (packet 0) naming the server's session,
# message packet id 1, TLS bytes
C_CTRL = hx("20", CLIENT, "01", "00000000", SERVER, "00000001") + TLS
# P_ACK_V1 (5 << 3), client session, 1 ack (packet 1) naming the server's session
C_ACK = hx("28", CLIENT, "01", "00000001", SERVER)
# the server's P_CONTROL_V1: its session, acking the client's packet 1, its packet 1
S_CTRL = hx("20", SERVER, "01", "00000001", CLIENT, "00000001") + TLS


def _tcp(*pkts):
    return b"".join(len(p).to_bytes(2, "big") + p for p in pkts)


def test_udp_sides_that_name_each_other():
    r = openvpn.probe(FlowView.udp([C_CTRL, C_ACK], [S_CTRL]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.75
    assert r.metadata == {"opcode": "P_CONTROL_V1", "hmac_size": 0, "midstream": True}
    assert Engine().classify(FlowView.udp([C_CTRL, C_ACK], [S_CTRL])).protocol == "openvpn"


def test_one_side_needs_two_packets_one_peer_and_tls_bytes():
    r = openvpn.probe(FlowView.udp([C_CTRL, C_ACK]), {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.7
    assert openvpn.probe(FlowView.udp([C_CTRL]), {}).outcome != Outcome.MATCH
    two_acks = FlowView.udp([C_ACK, C_ACK])                 # no TLS bytes seen
    assert openvpn.probe(two_acks, {}).outcome != Outcome.MATCH


def test_tcp_mid_stream_only():
    c, s = _tcp(C_CTRL, C_ACK), _tcp(S_CTRL)
    view = FlowView("tcp", c, s, (), (), (), (), 1 | 2 | 4 | 8)       # both resynced
    r = openvpn.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.confidence == 0.75
    assert Engine().classify(view).protocol == "openvpn"
    # seen from its start, a TCP session must open with the resets (the compiled probe)
    assert openvpn.probe(FlowView.tcp(c, s), {}).outcome != Outcome.MATCH


@pytest.mark.parametrize("c, s", [
    ([C_CTRL, C_ACK], [C_CTRL]),                                   # both sides one session id
    ([C_CTRL, hx("20", SERVER) + C_CTRL[9:]], [S_CTRL]),            # two ids on the client's side
    ([C_CTRL.replace(bytes.fromhex(SERVER), bytes(range(8)))],
     [hx("28", SERVER, "01", "00000001", "0102030405060708")]),    # neither names the other
    ([C_CTRL, C_ACK + b"\x00"], [S_CTRL]),                          # an ACK with bytes after it
    ([hx("20", CLIENT, "09") + bytes(60), C_ACK], [S_CTRL]),        # 9 acks: above the array's 8
    ([hx("30", CLIENT, "00", "00000001") + TLS, C_ACK], [S_CTRL]),  # opcode 6 (data) is no control packet
])
def test_near_misses(c, s):
    assert openvpn.probe(FlowView.udp(c, s), {}).outcome != Outcome.MATCH
