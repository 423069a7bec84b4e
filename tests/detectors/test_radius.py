"""RADIUS: a damaged attribute list (the "malformed" answer) yields to a structure another
detector checks whole.  The RADIUS fixture itself is in fixtures.py (the suite's shared
checks run it)."""
from __future__ import annotations

import struct

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView

SPEC = next(s for s in detector_list.SPECS if s.name == "radius")

# A collectd encrypted part (type 0x0210, its length the datagram's) reads as a RADIUS
# header too: code 2 (Access-Accept), identifier 0x10, length == the datagram's size.
ENCRYPTED = (struct.pack(">HH", 0x0210, 60)            # collectd: part type, length 60
             + struct.pack(">H", 4) + b"user"          # user-name length, user name
             + bytes(10)                               # IV, first 10 bytes (RADIUS: authenticator)
             + bytes([1, 3, 0x41, 2, 3, 0x42])         # IV, last 6 bytes (RADIUS: two attributes)
             + bytes([3, 3, 0x43]) + bytes([4, 255])   # SHA-1 hash begins (RADIUS: a third, then one
             + bytes(60 - 31))                         # running past the end), then the rest


def test_malformed_radius_is_weaker_than_a_whole_collectd_part():
    view = FlowView.udp([ENCRYPTED])
    r = SPEC.probe(view, {})
    assert r.outcome == Outcome.MATCH and r.metadata.get("malformed") and r.confidence < 0.6
    assert Engine().classify(view).protocol == "collectd"


def _request(attributes: bytes) -> bytes:
    """An Access-Request (code 1, identifier 7) with a zero authenticator."""
    return struct.pack(">BBH", 1, 7, 20 + len(attributes)) + bytes(16) + attributes


def _vsa(vendor: int, subs: bytes, length: int | None = None) -> bytes:
    """Vendor-Specific (26, RFC 2865 5.26): length, Vendor-Id, the vendor's string."""
    return struct.pack(">BBI", 26, length or 6 + len(subs), vendor) + subs


# Two VSAs (vendor 9, Cisco's enterprise number), one sub-attribute each (vendor type 1,
# vendor length 6, 4 bytes), then an attribute whose length 0 breaks the list (fuzzed).
SUB = bytes([1, 6]) + b"ab=c"
DAMAGED_AFTER_VSAS = _request(_vsa(9, SUB) + _vsa(9, SUB) + bytes([37, 0]) + bytes(6))


def test_a_damaged_list_after_well_formed_vendor_attributes_is_malformed_radius():
    r = SPEC.probe(FlowView.udp([DAMAGED_AFTER_VSAS]), {})
    assert r.outcome == Outcome.MATCH and r.metadata.get("malformed") and r.confidence == 0.55


def test_vendor_attributes_count_only_when_their_sub_attributes_tile_them():
    for vsa in (_vsa(9, bytes([1, 7]) + b"ab=c", 12),        # a sub-attribute past the VSA's end
                _vsa(9, bytes([1, 5]) + b"ab=c", 12),        # one byte left over
                _vsa(0x01000009, SUB)):                      # the Vendor-Id's high octet is not 0
        view = FlowView.udp([_request(vsa + vsa + bytes([37, 0]) + bytes(6))])
        assert SPEC.probe(view, {}).outcome == Outcome.NO_MATCH
