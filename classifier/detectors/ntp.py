"""NTP (RFC 5905, and v1-v3) over UDP: 48-byte header (optionally extension fields or a
MAC), byte 0 = leap(2) version(3) mode(3).  Modes 6/7 (control / ntpdc) have their own
small headers.  Metadata: version, mode, stratum.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

MODES = {1: "symmetric-active", 2: "symmetric-passive", 3: "client", 4: "server",
         5: "broadcast", 6: "control", 7: "private"}


# probe(view, state): every datagram an NTP packet: version 1-4, mode 1-7; control
# (6) messages by their header (opcode 1-12 or 31; a request with status and offset 0
# and no E/M bit, a response's offset 4-aligned and no data after an error; a MAC's
# key id below 65536) and count, private (7) ones by their item counts; the others 48
# bytes (+ a MAC, v4 extension fields; a multiple of 4, at most 1024), stratum <= 16,
# a small poll, root delay and dispersion under 256 s.  0.9, control/private 0.5; metadata of
# the first: version, mode, stratum.  Compiled: ntp.pxi.
probe = _fast.ntp_probe


def _first_bytes():
    return frozenset(b for b in range(256) if 1 <= (b >> 3) & 7 <= 4 and b & 7)


SPEC = DetectorSpec(name="ntp", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=_first_bytes(), s2c=_first_bytes()), max_confidence=0.9,
                    # A lone datagram (a flood's) is one of _ntp_parse's shapes: modes 1-5
                    # in 48 bytes or more with stratum <= 16 and root delay and dispersion
                    # under 256 s; a control (6) header of 12 with an op code 1-31; a
                    # private (7) header of 8 with implementation 0-3 and request code < 64;
                    # a control count is at most 468 (its high byte 0 or 1).
                    gate=(Gate(lone=True, min_len=48, bytes=((0, 0x38, 0x08, 0x20), (0, 0x07, 1, 5),
                                                             (1, 0xFF, 0, 16), (4, 0xFF, 0, 0),
                                                             (8, 0xFF, 0, 0))),
                          Gate(lone=True, min_len=12, bytes=((0, 0x38, 0x08, 0x20), (0, 0x07, 6, 6),
                                                             (1, 0x1F, 1, 31), (10, 0xFF, 0, 1))),
                          Gate(lone=True, min_len=8, bytes=((0, 0x38, 0x08, 0x20), (0, 0x07, 7, 7),
                                                            (2, 0xFF, 0, 3), (3, 0xFF, 0, 63)))))
