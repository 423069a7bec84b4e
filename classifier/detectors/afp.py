"""AFP over TCP: the Data Stream Interface (Apple "AFP Programming Guide", DSI header):
every DSI packet is a 16-byte header: flags (0 request, 1 reply), command (1
DSICloseSession, 2 DSICommand, 3 DSIGetStatus, 4 DSIOpenSession, 5 DSITickle, 6 DSIWrite,
8 DSIAttention), request id, error code / data offset, total data length and 4
reserved bytes (0), then the data; packets follow each other exactly.  The client
opens with a request (GetStatus or OpenSession), the server replies with flags 1 and
the same command and request id.
Metadata: command (the client's first).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

COMMANDS = {1: "CloseSession", 2: "Command", 3: "GetStatus", 4: "OpenSession", 5: "Tickle",
            6: "Write", 8: "Attention"}


def _side(d: bytes, flag: int):
    """(command, request id) of the first packet, MORE, or None."""
    if len(d) < 16:
        if d[0] != flag or (len(d) > 1 and d[1] not in COMMANDS):
            return None
        return MORE
    f, cmd, rid, _err, total, rsv = struct.unpack_from(">BBHIII", d, 0)
    if f != flag or cmd not in COMMANDS or rsv or total > 1 << 24:
        return None
    if len(d) >= 16 + total + 16:                    # the next header must follow
        f2, c2 = d[16 + total], d[17 + total]
        if f2 > 1 or c2 not in COMMANDS:
            return None
    return cmd, rid


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE
    rc = _side(c, 0)
    if rc is None or rc is MORE:
        return NO if rc is None else MORE
    if not s:
        return MORE                   # a 16-byte header alone: wait for the reply
    rs = _side(s, 1)
    if rs is None:
        return NO
    if rs is MORE:
        return MORE
    if rs != rc and rs[0] != 8:       # a reply echoes the command and the request id
        return NO
    return claim("afp", 0.95, command=COMMANDS[rc[0]])


SPEC = DetectorSpec(name="afp", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({1})),
                    max_confidence=0.95)
