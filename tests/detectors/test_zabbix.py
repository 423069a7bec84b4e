"""Zabbix protocol (ZBXD header): the detector on its fixture (spec-built bytes, commented field by field):
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

SPEC = next(s for s in detector_list.SPECS if s.name == "zabbix")

def zbx(data, flags=1, reserved=0):
    """Zabbix header: "ZBXD", flags (0x01 protocol), data length, reserved (LE), data."""
    return b"ZBXD" + bytes([flags]) + struct.pack("<II", len(data), reserved) + data


# pcaps/corpus/zabbix-1.pcap (spec-built): an active agent asks for its checks.
FX = Fx("zabbix-active-checks", "zabbix", FlowView.tcp(
    zbx(b'{"request":"active checks","host":"portlens-node"}'),
    zbx(b'{"response":"success","data":[]}'),
), first="c", meta={"flags": 1, "request": "active checks"})


@pytest.mark.parametrize("view", [
    FlowView.tcp(b"ZBXD\x00" + zbx(b"{}")[5:]),   # flags without the protocol bit
    FlowView.tcp(b"ZBXD\x11" + zbx(b"{}")[5:]),   # an undefined flag
    FlowView.tcp(zbx(b"{}", reserved=7)),   # reserved set on an uncompressed message
    FlowView.tcp(zbx(b"{}") + b"GET /"),   # a message followed by something else
    FlowView.tcp(b"ZBXE\x01"),   # not the magic
])
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH


def test_positive():
    check_positive(FX, "zabbix")


def test_truncated_needs_more():
    check_truncated(FX, SPEC)


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
