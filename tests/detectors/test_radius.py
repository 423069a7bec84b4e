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
