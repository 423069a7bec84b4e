"""Microsoft SQL Server TDS (MS-TDS 2.2.3): 8-byte packet header -- type, status,
length (big-endian, includes the header), SPID, packet id, window (always 0).
A client starts with PRELOGIN (0x12), LOGIN7 (0x10) or a SQL batch/RPC; the server
answers with a tabular result (0x04).  PRELOGIN's option table (token, offset, length,
ends with 0xFF) is checked too.  Metadata: packet_type, server version when in
PRELOGIN's VERSION option.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

TYPES = {0x01: "sql-batch", 0x02: "pre-tds7-login", 0x03: "rpc", 0x04: "response",
         0x06: "attention", 0x07: "bulk-load", 0x0E: "transaction-manager",
         0x10: "login7", 0x11: "sspi", 0x12: "prelogin"}


def header(data: bytes):
    if data[0] not in TYPES:
        return None
    if len(data) < 8:
        return MORE
    if data[1] & ~0x1F:
        return None                       # status uses the low five bits only
    n = int.from_bytes(data[2:4], "big")
    if n < 8 or data[7] != 0:
        return None                       # window is unused and always zero
    if n > len(data) and data[1] & 1:
        return MORE
    return n


def prelogin_ok(pkt: bytes) -> bool | None:
    body = pkt[8:]
    pos = 0
    while pos < len(body):
        if body[pos] == 0xFF:
            return True
        if body[pos] > 0x08 or pos + 5 > len(body):
            return False                  # option tokens are 0..8 (MS-TDS 2.2.6.5)
        off = int.from_bytes(body[pos + 1:pos + 3], "big")
        ln = int.from_bytes(body[pos + 3:pos + 5], "big")
        if off + ln > len(body):
            return None
        pos += 5
    return None


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return MORE if s and s[0] == 0x04 else NO
    n = header(c)
    if n is None:
        return NO
    if n is MORE:
        return MORE
    t = c[0]
    if t == 0x04:
        return NO                         # a client never sends a response packet
    if t == 0x12:
        ok = prelogin_ok(c[:n])
        if ok is None:
            return MORE
        if not ok:
            return NO
        return claim("mssql-tds", 1.0, packet_type=TYPES[t])
    if not s and n == len(c) and t in (0x01, 0x03, 0x10) and c[6] == 1 and c[1] & 1:
        # One complete end-of-message packet (packet id 1) exactly filling what the
        # client sent: the 16-bit length agreeing with the bytes is decent evidence.
        return claim("mssql-tds", 0.75, packet_type=TYPES[t])
    if s:
        # Other first packets (LOGIN7, SQL batch mid-session) need the server's response
        # header to agree before we believe an 8-byte header.
        rs = header(s)
        if rs is MORE:
            return MORE
        if rs is None or s[0] != 0x04:
            return NO
        return claim("mssql-tds", 0.9, packet_type=TYPES[t])
    return MORE


SPEC = DetectorSpec(name="mssql-tds", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(TYPES), s2c=frozenset((0x04,))))
