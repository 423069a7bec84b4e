"""Syslog (RFC 3164 / 5424, TCP framing RFC 6587) : ``<PRI>`` with PRI 0-191, then an
RFC 5424 version ``1 `` or an RFC 3164 timestamp / free text, all printable.
On TCP an octet-count prefix ``NNN <PRI>`` is accepted.  Metadata: facility, severity,
format.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, parse_units

_PRI = re.compile(rb"(?:\d{1,5} )?<(\d{1,3})>")
_TS3164 = re.compile(rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d ")


def parse(msg: bytes):
    if len(msg) < 5:
        return MORE if re.match(rb"(\d{1,5} ?)?<?\d{0,3}>?$", msg) else None
    m = _PRI.match(msg)
    if not m:
        # Still inside the "NNN <PRI>" prefix: wait for the closing bracket.
        return MORE if re.fullmatch(rb"(\d{1,5} )?<\d{0,3}|\d{1,5} ?", msg) else None
    pri = int(m.group(1))
    if pri > 191 or (len(m.group(1)) > 1 and m.group(1)[0] == 0x30):
        return None                       # PRI has no leading zeros (RFC 5424 6.2.1)
    # Some senders (Python's SysLogHandler) end the message with a NUL.
    rest = msg[m.end():m.end() + 65].rstrip(b"\x00")[:64]
    if len(rest) < 4:
        return MORE
    # Text must be printable up to the first line end (the body may be UTF-8).
    if any(b < 0x20 and b not in (9, 10, 13) for b in rest):
        return None
    fmt = "rfc5424" if rest[:2] == b"1 " else "rfc3164" if _TS3164.match(rest) else "bsd"
    return {"facility": pri >> 3, "severity": pri & 7, "format": fmt}


def probe(view, state):
    units = [d for d in list(view.datagrams_c2s) + list(view.datagrams_s2c) if d] \
        if view.transport == "udp" else [d for d in (view.payload_c2s, view.payload_s2c) if d]
    meta = parse_units(units, parse)
    if meta is NO or meta is MORE:
        return meta
    if not meta:
        return MORE
    # A bare "<13>text" is weaker than a structured header.
    return claim("syslog", 0.9 if meta["format"] != "bsd" else 0.75, **meta)


SPEC = DetectorSpec(name="syslog", transports=("udp", "tcp"), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"<0123456789"),
                                                       s2c=frozenset(b"<0123456789")), max_confidence=0.9,
                    # A lone datagram is at least "<P>" and a character (5 bytes): "<" then
                    # a digit, or an octet count's digit then a digit or the space.
                    gate=(Gate(lone=True, min_len=5, bytes=((0, 0xFF, 0x3C, 0x3C), (1, 0xFF, 0x30, 0x39))),
                          Gate(lone=True, min_len=5, bytes=((0, 0xFF, 0x30, 0x39), (1, 0xFF, 0x20, 0x39)))))
