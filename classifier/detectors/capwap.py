"""CAPWAP (RFC 5415 4.1-4.5): every datagram opens with a preamble byte, version 0 and
type 0 (a CAPWAP header follows) or 1 (a DTLS header: three reserved zero bytes, then a
DTLS record whose length runs to the datagram's end).  The CAPWAP header: HLEN (its
length in 4-byte words, at least 2, within the datagram), RID, WBID (1 IEEE 802.11,
3 EPCGlobal), the T F L W M K flags and three reserved bits (0), fragment id and offset.
Unless it carries a native frame (T) or a fragment (F), a control message follows:
message type (enterprise 0, type 1-26), sequence number, the message-element length
(the bytes after the sequence number) and a zero flags byte.
Confidence 0.9 for a control message; 0.75 for data or DTLS datagrams, two at least;
0.7 for a lone DTLS-protected datagram whose records fill it exactly.
Metadata: kind ("control", "data", "dtls"), message (the first control message's name).
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MESSAGES = {1: "Discovery Request", 2: "Discovery Response", 3: "Join Request",
            4: "Join Response", 5: "Configuration Status Request",
            6: "Configuration Status Response", 7: "Configuration Update Request",
            8: "Configuration Update Response", 9: "WTP Event Request",
            10: "WTP Event Response", 11: "Change State Event Request",
            12: "Change State Event Response", 13: "Echo Request", 14: "Echo Response",
            15: "Image Data Request", 16: "Image Data Response", 17: "Reset Request",
            18: "Reset Response", 19: "Primary Discovery Request",
            20: "Primary Discovery Response", 21: "Data Transfer Request",
            22: "Data Transfer Response", 23: "Clear Configuration Request",
            24: "Clear Configuration Response", 25: "Station Configuration Request",
            26: "Station Configuration Response"}


def _records(d: bytes, pos: int) -> bool:
    """Whether DTLS records (RFC 6347 4.1: content type 20-23, version DTLS 1.0 or 1.2,
    epoch, sequence number, length) fill the datagram from pos exactly."""
    while pos < len(d):
        if pos + 13 > len(d) or d[pos] not in (20, 21, 22, 23) or d[pos + 1:pos + 3] not in (b"\xfe\xff", b"\xfe\xfd"):
            return False
        pos += 13 + struct.unpack_from(">H", d, pos + 11)[0]
    return pos == len(d)


def _parse(d: bytes):
    if len(d) < 8:
        return None
    if d[0] == 1:                                   # DTLS-protected
        if d[1:4] != b"\x00\x00\x00" or len(d) < 4 + 13:
            return None
        ct, ver, dlen = d[4], d[5:7], struct.unpack_from(">H", d, 15)[0]
        if ct not in (20, 21, 22, 23) or ver not in (b"\xfe\xff", b"\xfe\xfd") or 4 + 13 + dlen > len(d):
            return None
        return {"kind": "dtls", "whole": _records(d, 4)}
    if d[0] != 0:
        return None
    (bits,) = struct.unpack_from(">I", d, 0)
    hlen, wbid = (bits >> 19) & 0x1f, (bits >> 9) & 0x1f
    t, f = bits >> 8 & 1, bits >> 7 & 1
    if hlen < 2 or hlen * 4 > len(d) or wbid not in (1, 3) or bits & 0x7:
        return None
    if t or f:
        return {"kind": "data"}
    c = d[hlen * 4:]
    if len(c) == 0 and bits >> 3 & 1:               # K: a data-channel keep-alive
        return {"kind": "data"}
    if len(c) < 8:
        return None
    mtype, seq, elen, flags = struct.unpack_from(">IBHB", c, 0)
    if bits >> 3 & 1:                               # keep-alive: elements behind a length
        return {"kind": "data"} if struct.unpack_from(">H", c, 0)[0] == len(c) - 2 else None
    if mtype not in MESSAGES or elen != len(c) - 5 or flags:
        return None
    return {"kind": "control", "message": MESSAGES[mtype]}


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 8, first=frozenset({0, 1}))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    meta, whole = None, False
    for d in units:
        m = _parse(d)
        if m is None:
            return NO
        whole = whole or m.pop("whole", False)
        if meta is None or (meta["kind"] != "control" and m["kind"] == "control"):
            meta = m
    # A control message checks a type and an exact length; data frames alone say less, so
    # they need a second datagram agreeing.  So does a DTLS-protected datagram, unless its
    # records fill it exactly: then the fixed preamble (01 00 00 00), each record's
    # content type and version and the lengths chained to the datagram's end are enough
    # (a one-sided capture of an established session shows only such datagrams).
    if meta["kind"] != "control" and len(units) < 2:
        if not (meta["kind"] == "dtls" and whole):
            return MORE
        return claim("capwap", 0.7, **meta)
    conf = 0.9 if meta["kind"] == "control" else 0.75
    return claim("capwap", conf, **meta)


SPEC = DetectorSpec(name="capwap", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0, 1}), s2c=frozenset({0, 1})),
                    max_confidence=0.9,
                    # every whole datagram, 8 bytes or more: the DTLS preamble (type 1, three
                    # zero bytes, a DTLS record: content type 20-23, version fe xx), or a
                    # plain header (type 0, HLEN >= 2, WBID 1 or 3, flags' low bits 0)
                    gate=Gate(whole=True, min_len=8, forms=(
                        ((0, 0xFF, 1, 1), (1, 0xFF, 0, 0), (2, 0xFF, 0, 0), (3, 0xFF, 0, 0),
                         (4, 0xFF, 20, 23), (5, 0xFF, 0xFE, 0xFE)),
                        ((0, 0xFF, 0, 0), (1, 0xF8, 0x10, 0xF8), (2, 0x3A, 0x02, 0x02), (3, 0x07, 0, 0)))))
