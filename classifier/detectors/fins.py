"""Omron FINS over UDP (Omron W227 "FINS Commands Reference Manual", section 3; UDP
9600): every datagram is one frame with a 10-byte header, ICF (bit 7 gateway use, set;
bit 6 0 command / 1 response; bit 0 1 when no response is wanted; bits 5-1 zero), RSV
(0), GCT (gateway count, 2 as sent, at most 7), destination network (0-127), node and
unit, source network, node and unit, and the service id (SID) the response echoes;
then the command code (MRC, SRC: 0x0101 memory area read, 0x0102 write, 0x0501
controller data read, 0x0601 status read, 0x0701 clock read, ...).  A response repeats
the command code and adds a 2-byte end code.

The detector relies on the header's constant bits, a known command code and, for a
response, its SID and command code matching the request's; a lone command (a few
fixed bits) stays below 0.8.  Metadata: command (the first command's name), sid.
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

COMMANDS = {0x0101: "memory-area-read", 0x0102: "memory-area-write", 0x0103: "memory-area-fill",
            0x0104: "multiple-memory-area-read", 0x0105: "memory-area-transfer",
            0x0201: "parameter-area-read", 0x0202: "parameter-area-write", 0x0203: "parameter-area-clear",
            0x0306: "program-area-read", 0x0307: "program-area-write", 0x0308: "program-area-clear",
            0x0401: "run", 0x0402: "stop", 0x0501: "controller-data-read", 0x0502: "connection-data-read",
            0x0601: "controller-status-read", 0x0620: "cycle-time-read", 0x0701: "clock-read",
            0x0702: "clock-write", 0x0920: "message-read", 0x0C01: "access-right-acquire",
            0x0C02: "access-right-forced-acquire", 0x0C03: "access-right-release",
            0x2101: "error-clear", 0x2102: "error-log-read", 0x2103: "error-log-clear",
            0x2201: "file-name-read", 0x2202: "single-file-read", 0x2203: "single-file-write",
            0x2301: "forced-set-reset", 0x2302: "forced-set-reset-cancel"}


def frame(d: bytes, whole: bool):
    """(is_response, sid, command) / MORE / None."""
    icf = d[0]
    if icf & 0x3E or not icf & 0x80:
        return None                      # gateway bit set, reserved bits clear
    if len(d) >= 2 and d[1] != 0:
        return None                      # RSV
    if len(d) >= 3 and d[2] > 7:
        return None                      # gateway count
    if len(d) >= 4 and d[3] > 127 or len(d) >= 7 and d[6] > 127:
        return None                      # network addresses 0-127
    response = bool(icf & 0x40)
    need = 14 if response else 12
    if len(d) < need:
        return MORE                  # a valid prefix
    cmd = int.from_bytes(d[10:12], "big")
    if cmd not in COMMANDS:
        return None
    return response, d[9], cmd


def probe(view, state):
    commands, responses, more = [], [], False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = frame(d, whole)
        if r is None:
            return NO
        if r is MORE:
            more = True
            continue
        (responses if r[0] else commands).append(r)
    if not commands and not responses:
        return MORE if more else NO
    if commands and responses:
        if (responses[0][1], responses[0][2]) != (commands[0][1], commands[0][2]):
            return NO                    # a response echoes its command's SID and code
        conf = 0.9
    else:
        conf = 0.75
    first = (commands or responses)[0]
    return claim("fins", conf, command=COMMANDS[first[2]], sid=first[1])


SPEC = DetectorSpec(name="fins", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x80, 0x81)), s2c=frozenset((0xC0, 0xC1))),
                    max_confidence=0.9)
