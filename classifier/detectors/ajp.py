"""Apache JServ Protocol 1.3 (AJPv13, the Tomcat connector reference): packets from
the web server start with 0x12 0x34, packets from the container with "AB", then a
2-byte payload length.  The web server's first payload byte is a prefix code: 2 Forward
Request (then the HTTP method code 1-28 and the protocol as an AJP string: length,
bytes, NUL), 7 Shutdown, 8 Ping, 10 CPing; the container's: 3 Send Body Chunk, 4 Send
Headers, 5 End Response, 6 Get Body Chunk, 9 CPong.  Body packets (after a Forward
Request) carry raw data, so only each direction's first packet is parsed.
Metadata: method, protocol, uri (of a Forward Request), status (of Send Headers).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

METHODS = {1: "OPTIONS", 2: "GET", 3: "HEAD", 4: "POST", 5: "PUT", 6: "DELETE", 7: "TRACE",
           8: "PROPFIND", 9: "PROPPATCH", 10: "MKCOL", 11: "COPY", 12: "MOVE", 13: "LOCK",
           14: "UNLOCK", 15: "ACL", 16: "REPORT", 17: "VERSION-CONTROL", 18: "CHECKIN",
           19: "CHECKOUT", 20: "UNCHECKOUT", 21: "SEARCH", 22: "MKWORKSPACE", 23: "UPDATE",
           24: "LABEL", 25: "MERGE", 26: "BASELINE_CONTROL", 27: "MKACTIVITY"}


def _string(b: bytes, off: int):
    """(value, next offset) of an AJP string, MORE, or None."""
    if len(b) < off + 2:
        return MORE
    (n,) = struct.unpack_from(">H", b, off)
    if n == 0xffff:
        return b"", off + 2
    if len(b) < off + 2 + n + 1:
        return MORE
    if b[off + 2 + n] != 0:
        return None
    return b[off + 2:off + 2 + n], off + 3 + n


def _packet(d: bytes, magic: bytes, codes):
    if not d.startswith(magic[:len(d)]):
        return None
    if len(d) < 5:
        return MORE
    (n,) = struct.unpack_from(">H", d, 2)
    if n == 0 or n > 65536 - 4 or d[4] not in codes:
        return None
    return d[4], d[5:4 + n], len(d) >= 4 + n


def _forward(body: bytes, meta: dict):
    if not body:
        return MORE
    if body[0] not in METHODS:
        return None
    meta["method"] = METHODS[body[0]]
    off = 1
    for key in ("protocol", "uri"):
        r = _string(body, off)
        if r is None or r is MORE:
            return r
        meta[key], off = dec(r[0]), r[1]
    if not meta["protocol"].startswith("HTTP/"):
        return None
    return meta


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    meta = {}
    if c:
        p = _packet(c, b"\x12\x34", (2, 7, 8, 10))
        if p is None:
            return NO
        if p is MORE:
            return MORE
        code, body, whole = p
        if code == 2:
            r = _forward(body, meta)
            if r is None:
                return NO
            if r is MORE:
                return MORE if not whole else NO
        elif whole and body:
            return NO                 # Shutdown, Ping and CPing have no payload
    if s:
        p = _packet(s, b"AB", (3, 4, 5, 6, 9))
        if p is None:
            return NO
        if p is MORE:
            return MORE
        code, body, whole = p
        if code == 4 and len(body) >= 2:
            meta["status"] = struct.unpack_from(">H", body, 0)[0]
    elif "method" not in meta:
        return MORE                   # a bare CPing: wait for the CPong
    return claim("ajp", 0.95, **meta)


SPEC = DetectorSpec(name="ajp", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0x12}), s2c=frozenset(b"A")),
                    max_confidence=0.95)
