"""SMPP: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "smpp")

def pdu(cid, status, seq, body=b""):
    """command_length, command_id, command_status, sequence_number, body."""
    return struct.pack(">IIII", 16 + len(body), cid, status, seq) + body


# bind_transceiver: system_id, password, system_type, interface_version 0x34, addr_ton 1,
# addr_npi 1, address_range ""
BIND = pdu(9, 0, 1, b"portlens\x00secret\x00SMPP\x00" + bytes([0x34, 1, 1]) + b"\x00")
# bind_transceiver_resp: system_id, TLV sc_interface_version 0x34
RESP = pdu(0x80000009, 0, 1, b"SMSC\x00" + struct.pack(">HHB", 0x0210, 1, 0x34))

# pcaps/corpus/smpp-1.pcap (spec-built): the bind and its response.
FX = Fx("smpp-bind", "smpp", FlowView.tcp(BIND, RESP), first="c",
        meta={"command": "bind_transceiver", "system_id": "portlens", "interface_version": "3.4"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(BIND, pdu(0x80000002, 0, 1, b"SMSC\x00")),       # answers another bind
    FlowView.tcp(BIND, pdu(0x80000009, 0, 2, b"SMSC\x00")),       # another sequence number
    FlowView.tcp(pdu(9, 0, 1, b"portlens\x00secret\x00SMPP\x00" + bytes([0x99, 1, 1]) + b"\x00")),  # version
    FlowView.tcp(pdu(9, 0, 1, b"portlens-toolongname\x00secret\x00SMPP\x00" + bytes([0x34, 1, 1]) + b"\x00")),
    FlowView.tcp(BIND[:4] + struct.pack(">I", 4) + BIND[8:]),      # submit_sm before a bind
    FlowView.tcp(BIND[:8] + struct.pack(">I", 5) + BIND[12:]),     # a status in a request
    FlowView.tcp(struct.pack(">I", len(BIND) + 1) + BIND[4:] + b"\x00"),  # the body overruns its fields
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "smpp")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
