"""Omron FINS (Omron W227 "FINS Commands Reference Manual", section 3; W421 Ethernet
Units manual, FINS/UDP and FINS/TCP; port 9600).  A FINS frame is a 10-byte header,
ICF (bit 7 gateway use, set; bit 6 0 command / 1 response; bit 0 1 when no response is
wanted; bits 5-1 zero), RSV (0), GCT (gateway count, 2 as sent, at most 7), destination
network (0-127), node and unit, source network, node and unit, and the service id (SID)
the response echoes; then the command code (MRC, SRC: 0x0101 memory area read, 0x0102
write, 0x0501 controller data read, 0x0601 status read, 0x0701 clock read, ...).  A
response repeats the command code and adds a 2-byte end code.  Over UDP a datagram is
one frame.  Over TCP every message has a 16-byte FINS/TCP header, the ASCII magic
"FINS", the length of what follows it (4, big-endian), a command (4: 0 client node
address send, 1 server node address send, 2 FINS frame send, 3 FINS frame send error
notification, 6 connection confirmation) and an error code (4, 0-0x25); a client opens
with command 0 (length 12, its node address), the server answers with command 1
(length 16), then command 2 messages carry FINS frames.

The detector relies on the header's constant bits, a known command code and, for a
response, its SID and command code matching the request's; a lone command (a few
fixed bits) stays below 0.8.  Over TCP, the FINS/TCP header (magic, command, error
code, length tiling the stream) and the frame it carries.
Metadata: command (the first FINS command's name, or the FINS/TCP command), sid.

Checked against: nDPI src/lib/protocols/fins.c (name "FINS"; UDP: ICF 0x80, 0xC0 or
0xC1, RSV 0, GCT 2, networks <= 0x7F, unit addresses 0x00, 0xFE, 0xE1 or 0x10-0x1F;
TCP: the "FINS" magic), Wireshark epan/dissectors/packet-omron-fins.c (ICF bits; the
command code list, of which ours had only 31: a frame with any other code made the
flow NO).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

COMMANDS = {0x0101: "memory-area-read", 0x0102: "memory-area-write", 0x0103: "memory-area-fill",
            0x0104: "multiple-memory-area-read", 0x0105: "memory-area-transfer",
            0x0201: "parameter-area-read", 0x0202: "parameter-area-write", 0x0203: "parameter-area-clear",
            0x0220: "data-link-table-read", 0x0221: "data-link-table-write",
            0x0304: "program-area-protect", 0x0305: "program-area-protect-clear",
            0x0306: "program-area-read", 0x0307: "program-area-write", 0x0308: "program-area-clear",
            0x0401: "run", 0x0402: "stop", 0x0403: "reset",
            0x0501: "controller-data-read", 0x0502: "connection-data-read",
            0x0601: "controller-status-read", 0x0602: "network-status-read",
            0x0603: "data-link-status-read", 0x0620: "cycle-time-read",
            0x0701: "clock-read", 0x0702: "clock-write",
            0x0801: "loop-back-test", 0x0802: "broadcast-test-results-read", 0x0803: "broadcast-test-data-send",
            0x0920: "message-read", 0x0C01: "access-right-acquire",
            0x0C02: "access-right-forced-acquire", 0x0C03: "access-right-release",
            0x2101: "error-clear", 0x2102: "error-log-read", 0x2103: "error-log-clear",
            0x2201: "file-name-read", 0x2202: "single-file-read", 0x2203: "single-file-write",
            0x2204: "memory-card-format", 0x2205: "file-delete", 0x2206: "volume-label-create-delete",
            0x2207: "file-copy", 0x2208: "file-name-change", 0x2209: "file-data-check",
            0x220A: "memory-area-file-transfer", 0x220B: "parameter-area-file-transfer",
            0x220C: "program-area-file-transfer", 0x220F: "file-memory-index-read",
            0x2210: "file-memory-read", 0x2211: "file-memory-write",
            0x2301: "forced-set-reset", 0x2302: "forced-set-reset-cancel",
            0x230A: "multiple-forced-status-read",
            0x2601: "name-set", 0x2602: "name-delete", 0x2603: "name-read"}
# FINS/TCP header commands (W421 7.4) and the length each fixes (None: variable).
TCP_COMMANDS = {0: ("node-address-data-send-client", 12), 1: ("node-address-data-send-server", 16),
                2: ("frame-send", None), 3: ("frame-send-error-notification", None),
                6: ("connection-confirmation", None)}


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


def tcp_stream(d: bytes):
    """The FINS/TCP messages tiling a direction (up to three): [(tcp command, FINS frame
    result or None)] / MORE / None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 3:
        head = d[pos:pos + 16]
        if not b"FINS".startswith(head[:4]):
            return None
        if len(head) < 16:
            return out or MORE
        n = int.from_bytes(head[4:8], "big")
        cmd = int.from_bytes(head[8:12], "big")
        err = int.from_bytes(head[12:16], "big")
        if cmd not in TCP_COMMANDS or err > 0x25 or n < 8:
            return None                  # known command, error codes 0-0x25 (W421 7.4)
        fixed = TCP_COMMANDS[cmd][1]
        if fixed is not None and n != fixed:
            return None
        inner = None
        if cmd == 2:
            body = d[pos + 16:pos + 8 + n]
            if n < 8 + 12:
                return None              # a FINS frame: 10-byte header and a command code
            inner = frame(body, len(body) == n - 8) if body else MORE
            if inner is None:
                return None
            if inner is MORE:
                inner = None
        out.append((cmd, inner))
        if pos + 8 + n > len(d):
            break                        # the last message is still arriving
        pos += 8 + n
    return out


def _tcp_probe(view):
    found, more = [], False
    for d in (view.payload_c2s, view.payload_s2c):
        if d:
            r = tcp_stream(d)
            if r is None:
                return NO
            if r is MORE:
                more = True
            else:
                found.append(r)
    if not found:
        return MORE if more else NO
    cmds = [c for msgs in found for c, _ in msgs]
    frames = [f for msgs in found for _, f in msgs if f is not None]
    # The handshake (client 0, server 1) or a carried FINS frame with its known command
    # code over the magic and fixed lengths: 0.9; one header alone: 0.85.
    conf = 0.9 if (0 in cmds and 1 in cmds) or frames else 0.85
    if frames:
        return claim("fins", conf, command=COMMANDS[frames[0][2]], sid=frames[0][1])
    return claim("fins", conf, command=TCP_COMMANDS[cmds[0]][0], sid=None)


def probe(view, state):
    if view.transport == "tcp":
        return _tcp_probe(view)
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


SPEC = DetectorSpec(name="fins", transports=("udp", "tcp"), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0x80, 0x81)), s2c=frozenset((0xC0, 0xC1)),
                                                       tcp=Prefilter(c2s=frozenset(b"F"), s2c=frozenset(b"F"))),
                    max_confidence=0.9,
                    # compiled, UDP, per direction: the first datagram's header bytes as
                    # frame() checks them (a shorter prefix passes what it lacks)
                    gate=Gate(prefix=True, bytes=((0, 0xbe, 0x80, 0x80), (1, 0xff, 0, 0), (2, 0xff, 0, 7),
                                                  (3, 0xff, 0, 127), (6, 0xff, 0, 127))))
