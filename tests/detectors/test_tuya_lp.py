"""Tuya local protocol: the detector on its fixture (bytes of pcaps/corpus/tuya-lp-1.pcap and tuya-lp-2.pcap, a spec-built
exchange, commented field by field): positive with metadata, truncated -> NEED_MORE, fed in
fragments -> the same outcome, near misses, and no other detector claims it (nor it
another protocol's fixture)."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.flowview import FlowView
from fixtures import Fx, hx
from protocol_checks import check_claimed_alone, check_claims_no_other, check_fragmented, check_positive

SPEC = next(s for s in detector_list.SPECS if s.name == "tuya-lp")

CIPHER = bytes(range(0x40, 0xe0))              # 160 bytes standing in for AES ciphertext


def frame55(seq, cmd, payload, crc=b"\x12\x34\x56\x78"):
    return (hx("000055aa")                         # prefix
            + seq.to_bytes(4, "big")               # sequence number
            + cmd.to_bytes(4, "big")               # command (0x13: UDP_NEW discovery)
            + (len(payload) + 8).to_bytes(4, "big")  # length: payload, CRC, suffix
            + payload + crc                        # payload, CRC-32
            + hx("0000aa55"))                      # suffix


# tuya-lp-1.pcap: three 3.3 discovery broadcasts; nobody answers.
FX = Fx("tuya-lp-discovery", "tuya-lp", FlowView.udp([frame55(0, 0x13, CIPHER)] * 3),
        first="c", meta={"version": "3.1-3.4", "command": 0x13})

# tuya-lp-2.pcap: a 3.5 frame: prefix 6699, reserved 0000, seq, cmd, length of IV +
# payload + tag (the suffix is not counted), then suffix 9966.
V35 = (hx("00006699", "0000", "00000001", "00000013") + (12 + 150 + 16).to_bytes(4, "big")
       + bytes(12) + bytes(150) + bytes(16) + hx("00009966"))


def test_protocol_35():
    r = SPEC.probe(FlowView.udp([V35]), {})
    assert r.outcome == Outcome.MATCH and r.metadata["version"] == "3.5"


NEAR_MISSES = [
    FlowView.udp([frame55(0, 0x13, CIPHER)[:-1] + b"\x00"]),          # suffix broken
    FlowView.udp([frame55(0, 0x13, CIPHER) + b"\x00"]),               # a byte past the suffix
    FlowView.udp([frame55(0, 0x7f, CIPHER)]),                         # no such command
    FlowView.udp([V35[:4] + b"\x00\x01" + V35[6:]]),                  # 3.5 reserved bytes set
]


@pytest.mark.parametrize("view", NEAR_MISSES)
def test_near_misses(view):
    assert SPEC.probe(view, {}).outcome != Outcome.MATCH


def test_positive():
    check_positive(FX, "tuya-lp")


def test_truncated_needs_more():
    v = FX.view
    first = v.payload_c2s[:3] if FX.first == "c" else v.payload_s2c[:3]
    assert first, "fill in the fixture"
    view = FlowView.udp([first]) if FX.first == "c" else FlowView.udp([], [first])
    assert SPEC.probe(view, {}).outcome == Outcome.NEED_MORE


def test_fragmented_delivery_gives_the_whole_outcome():
    check_fragmented(FX, SPEC)


def test_no_other_detector_claims_it():
    check_claimed_alone(FX, SPEC)


def test_it_claims_no_other_protocol():
    check_claims_no_other(SPEC)
