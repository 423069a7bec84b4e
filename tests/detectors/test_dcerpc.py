"""DCE/RPC (C706; MS-RPCE) connection-oriented and connectionless: the detector on its fixture (spec-built bytes, commented field by field):
positive with metadata, truncated -> NEED_MORE, fed in fragments -> the same outcome,
and no other detector claims it (nor it another protocol's fixture)."""
from __future__ import annotations

import struct
import uuid

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx  # noqa: F401  (hx: hex fixtures)
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive, check_truncated

SPEC = next(s for s in detector_list.SPECS if s.name == "dcerpc")

EPM = uuid.UUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa").bytes_le   # endpoint mapper interface
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860").bytes_le   # NDR transfer syntax


def co(ptype, call_id, body):
    """CO common header (C706 12.6.3.1): 5.0, ptype, first+last frag, LE drep,
    frag_length, auth_length 0, call_id."""
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, 3, b"\x10\0\0\0", 16 + len(body), 0, call_id) + body


# pcaps/corpus/dcerpc-1.pcap (spec-built): bind to the endpoint mapper, bind_ack, ept_map.
BIND = co(11, 1, struct.pack("<HHIBBH", 4280, 4280, 0, 1, 0, 0)          # max frags, assoc group, 1 context
          + struct.pack("<HBB", 0, 1, 0) + EPM + struct.pack("<HH", 3, 0)  # context 0: epmapper v3.0
          + NDR + struct.pack("<I", 2))                                 # transfer syntax NDR v2
ACK = co(12, 1, struct.pack("<HHIH", 4280, 4280, 0x1234, 4) + b"135\0" + bytes(2)
         + struct.pack("<BBHHH", 1, 0, 0, 0, 0) + NDR + struct.pack("<I", 2))
REQ = co(0, 2, struct.pack("<IHH", 76, 0, 3) + bytes(76))                # alloc hint, context 0, opnum 3
FX = Fx("dcerpc-bind", "dcerpc", FlowView.tcp(BIND + REQ, ACK), first="c",
        meta={"version": "5.0", "ptype": "bind", "interface": "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
              "interface_version": "3.0", "interface_name": "epmapper"})


def cl(ptype, body):
    """CL header (C706 12.5.3.1, 80 bytes): version 4, ptype, flags, LE drep, UUIDs,
    interface version, sequence, opnum 3, hints, body length, fragment, auth 0."""
    return (struct.pack("<BBBB3sB", 4, ptype, 0x20, 0, b"\x10\0\0", 0) + bytes(16) + EPM + bytes(16)
            + struct.pack("<IIIHHHHHBB", 0, 3, 0, 3, 0xffff, 0xffff, len(body), 0, 0, 0) + body)


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"\x04" + BIND[1:]),   # version 4 on TCP
    FlowView.tcp(BIND[:8] + struct.pack("<H", len(BIND) + 4) + BIND[10:] + REQ),   # frag_length overruns into the next PDU
    FlowView.tcp(BIND[:2] + b"\x09" + BIND[3:]),   # a connectionless ptype
    FlowView.tcp(BIND[:4] + b"\x20" + BIND[5:]),   # an integer representation of 2
    FlowView.udp([cl(0, bytes(24))[:-1]]),   # CL body shorter than its length field
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "dcerpc")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_connectionless():
    r = SPEC.probe(FlowView.udp([cl(0, bytes(24))], [cl(2, bytes(20))]), {})
    assert r.outcome == Outcome.MATCH
    assert (r.metadata["version"], r.metadata["opnum"], r.metadata["interface_name"]) == ("4", 3, "epmapper")


def test_request_carries_the_opnum():
    r = SPEC.probe(FlowView.tcp(REQ), {})
    assert r.outcome == Outcome.MATCH and r.metadata["opnum"] == 3
