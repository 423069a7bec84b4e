"""SMPP, Short Message Peer-to-Peer (SMPP v3.4 specification section 3.2 "SMPP PDU
Format", 4.1 "Bind Operation"; v5.0 keeps them): the ESME (client) speaks first with a
bind.  Every PDU is a 16-byte header: int32 command_length (the whole PDU), int32
command_id (bind_receiver 0x00000001, bind_transmitter 0x00000002, bind_transceiver
0x00000009; a response has 0x80000000 set), int32 command_status (0 in a request) and
int32 sequence_number (1 to 0x7FFFFFFF, echoed by the response).  A bind's body is
system_id (C string, at most 16 bytes with its NUL), password (9), system_type (13),
interface_version (0x33, 0x34 or 0x50), addr_ton, addr_npi, address_range (41).

This detector relies on the client's bind (its body must fill command_length exactly)
and the server's bind response (the same command with the response bit, the same
sequence number); generic_nack (0x80000000) also answers a bind.
Metadata: command (the bind's kind), system_id, interface_version ("3.4", "5.0").
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

BINDS = {1: "bind_receiver", 2: "bind_transmitter", 9: "bind_transceiver"}
VERSIONS = {0x33: "3.3", 0x34: "3.4", 0x50: "5.0"}
MAX_BIND = 16 + 16 + 9 + 13 + 3 + 41


def _cstring(d: bytes, i: int, limit: int):
    """(value, next index) of a C-Octet string of at most limit bytes with its NUL."""
    j = d.find(b"\x00", i, i + limit)
    if j < 0:
        return None
    v = d[i:j]
    if any(b < 0x20 or b > 0x7e for b in v):
        return None
    return v, j + 1


def _bind(c: bytes):
    if len(c) >= 8:
        length, cid = struct.unpack_from(">II", c, 0)
        if cid not in BINDS or not 16 + 7 <= length <= MAX_BIND:
            return None
    elif c[:3].strip(b"\x00"):
        return None                       # command_length < 256: three zero bytes
    if len(c) < 16:
        return MORE
    length, cid, status, seq = struct.unpack_from(">IIII", c, 0)
    if status != 0 or not 1 <= seq <= 0x7FFFFFFF:
        return None
    if len(c) < length:
        return MORE
    fields, i = [], 16
    for limit in (16, 9, 13):
        r = _cstring(c, i, limit)
        if r is None:
            return None
        fields.append(r[0])
        i = r[1]
    if i + 3 > length:
        return None
    ver = c[i]
    r = _cstring(c, i + 3, 41)
    if ver not in VERSIONS or c[i + 1] > 6 or r is None or r[1] != length:
        return None                       # the body fills command_length exactly
    return cid, seq, fields[0], VERSIONS[ver]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # the ESME binds first
    b = _bind(c)
    if b is None:
        return NO
    if b is MORE:
        return NO if s else MORE
    cid, seq, system_id, ver = b
    if len(s) < 16:
        return MORE if s[:3].strip(b"\x00") == b"" else NO
    length, rid, status, rseq = struct.unpack_from(">IIII", s, 0)
    if rid not in (0x80000000 | cid, 0x80000000) or rseq != seq or length < 16 or length > 1024:
        return NO
    return claim("smpp", 0.95, command=BINDS[cid], system_id=dec(system_id), interface_version=ver)


SPEC = DetectorSpec(name="smpp", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.95)
