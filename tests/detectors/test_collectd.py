"""collectd binary network protocol: the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "collectd")

def string(t, v):
    return struct.pack(">HH", t, 5 + len(v)) + v + b"\0"              # type, length, text, NUL


def number(t, v):
    return struct.pack(">HHQ", t, 12, v)                             # type, length 12, 64-bit value


VALUES = struct.pack(">HHH", 6, 6 + 9 * 2, 2) + bytes([1, 1]) + struct.pack("<dd", 0.5, 0.25)   # 2 gauges
# pcaps/corpus/collectd-1.pcap (spec-built): one value list of the load plugin.
DG = (string(0x0000, b"portlens-host") + number(0x0008, 1_700_000_000 << 30) + number(0x0009, 10 << 30)
      + string(0x0002, b"load") + string(0x0004, b"load") + VALUES)
FX = Fx("collectd-values", "collectd", FlowView.udp([DG], []), first="c",
        meta={"host": "portlens-host", "plugin": "load"}, trunc=FlowView.udp([DG[:3]]))


@pytest.mark.parametrize("view", [
    FlowView.udp([DG + b"\0"]),   # a byte beyond the last part
    FlowView.udp([DG[:-1]]),   # the values part cut short
    FlowView.udp([string(0x0000, b"host") + struct.pack(">HH", 0x0042, 4)]),   # an unknown part type
    FlowView.udp([string(0x0000, b"host")[:-1] + b"x" + number(1, 0)]),   # a string without its NUL
    FlowView.udp([string(0x0000, b"host")]),   # one part alone
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "collectd")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)


def test_encrypted_part():
    # 0x0210: user-name length, name, 16-byte IV, then SHA-1 and the data, encrypted
    enc = struct.pack(">HH", 0x0210, 4 + 2 + 8 + 16 + 20 + 32) + struct.pack(">H", 8) + b"portlens" + bytes(16 + 20 + 32)
    r = SPEC.probe(FlowView.udp([enc]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"encrypted": True} and r.confidence < 0.9
    bad = enc[:4] + struct.pack(">H", 0xffff) + enc[6:]          # a user name longer than the part
    assert SPEC.probe(FlowView.udp([bad]), {}).outcome == Outcome.NO_MATCH


# ../shared/ndpi-dev collectd.pcap, 127.0.0.1:36064 -> :25826, the datagram's first 11
# parts (it is cut here at a part boundary): one part carries type 0xffff, which no
# collectd version defines; collectd's receiver skips a part of unknown type by its
# length (network.c, parse_packet), so the rest still reads as a value list.
UNKNOWN_PART = hx(
    "0000 0015 6465766c61702e667269747a2e626f7800"   # host (0x0000), length 21: "devlap.fritz.box\0"
    "0008 000c 18aa874808818df4"                     # time, high resolution (0x0008), length 12
    "0009 000c 0000000280000000"                     # interval, high resolution (0x0009), length 12: 10 s
    "ffff 0008 63707500"                             # type 0xffff (unknown), length 8: skipped
    "0003 0006 3100"                                 # plugin instance (0x0003), length 6: "1\0"
    "0004 0008 63707500"                             # type (0x0004), length 8: "cpu\0"
    "0005 000a 737465616c00"                         # type instance (0x0005), length 10: "steal\0"
    "0006 000f 0001 02 0000000000000000")            # values (0x0006), length 15: 1 value, DERIVE (2), 0


def test_a_part_of_unknown_type_is_skipped():
    r = SPEC.probe(FlowView.udp([UNKNOWN_PART]), {})
    assert r.outcome == Outcome.MATCH and r.metadata == {"host": "devlap.fritz.box"}


@pytest.mark.parametrize("dg", [
    # as many unknown parts as known ones: nothing says collectd
    string(0x0000, b"host") + struct.pack(">HH", 0x0042, 4) + struct.pack(">HH", 0x0043, 4) + number(1, 0),
    # three known parts and two unknown: fewer than three known per unknown
    string(0x0000, b"host") + struct.pack(">HH", 0x0042, 4) + number(1, 0) + struct.pack(">HH", 0x0043, 4)
    + VALUES,
    # an unknown part whose length runs past the datagram
    UNKNOWN_PART[:45] + struct.pack(">HH", 0xffff, 200) + UNKNOWN_PART[53:],
    # an unknown part whose length is shorter than its own header
    UNKNOWN_PART[:45] + struct.pack(">HH", 0xffff, 2) + UNKNOWN_PART[49:],
])
def test_unknown_parts_near_misses(dg):
    assert SPEC.probe(FlowView.udp([dg]), {}).outcome == Outcome.NO_MATCH
