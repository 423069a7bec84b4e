"""Gnutella over TCP (the Gnutella 0.6 protocol draft, "Connection"; 0.4 in the
original protocol document): a servent connecting to another sends

    GNUTELLA CONNECT/0.6 CR LF  then HTTP-style headers (User-Agent, X-Ultrapeer, ...)
    and an empty line

and the other answers "GNUTELLA/0.6 200 OK" (or another status) with its headers;
Gnutella 0.4 is "GNUTELLA CONNECT/0.4" LF LF answered by "GNUTELLA OK" LF LF.  The
request line is a long fixed string with a version: confidence 1.0.
Metadata: version, status (the answer's code), user_agent.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

CONNECT = b"GNUTELLA CONNECT/"
_REQ = re.compile(rb"\AGNUTELLA CONNECT/(\d\.\d)\r?\n")
_RESP = re.compile(rb"\AGNUTELLA(?:/(\d\.\d) (\d{3})[^\r\n]*| OK)\r?\n")
_UA = re.compile(rb"\r?\nUser-Agent:[ \t]*([^\r\n]{1,200})", re.I)


_HEADERS_END = re.compile(rb"\r?\n\r?\n")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _answer_alone(s: bytes):
    r = _RESP.match(s)
    if r is None:
        return MORE if b"GNUTELLA".startswith(s[:8]) and b"\n" not in s else NO
    if r.group(1) is None:                 # 0.4: the answer is exactly "GNUTELLA OK" LF LF
        if s == b"GNUTELLA OK\n\n":
            return claim("gnutella", 0.85, version="0.4", status=200)
        return MORE if b"GNUTELLA OK\n\n".startswith(s) else NO
    end = _HEADERS_END.search(s, r.end() - 2)
    if end is None:
        return MORE if len(s) < 1024 else NO     # 0.6: the headers end with an empty line
    block = s[r.end():end.start()] if end.start() > r.end() else b""
    for line in block.split(b"\n") if block else ():
        name, colon, _ = line.partition(b":")
        if not colon or not name or not _TOKEN.fullmatch(name):
            return NO                            # every header line is "Name: value"
    ua = _UA.search(s)
    return claim("gnutella", 0.85, version=dec(r.group(1)), status=int(r.group(2)),
                 user_agent=dec(ua.group(1)) if ua else None)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        # The connecting servent speaks first; a capture that holds only the other
        # side's bytes (one direction seen, or the request lost) still shows the
        # answer's fixed line: "GNUTELLA/<version> <code>" with its headers up to the
        # empty line, or 0.4's whole "GNUTELLA OK" LF LF.  One line, no request: 0.85.
        return _answer_alone(s) if s else MORE
    m = _REQ.match(c)
    if m is None:
        if len(c) <= len(CONNECT):
            ok = CONNECT.startswith(c)                   # a prefix of the connect line
        else:
            ok = c.startswith(CONNECT) and b"\n" not in c and len(c) < len(CONNECT) + 6
        if ok:
            return MORE if not s else NO
        return NO
    status = None
    if s:
        r = _RESP.match(s)
        if r is None:
            if b"GNUTELLA".startswith(s[:8]) and b"\n" not in s:
                return MORE
            return NO
        status = int(r.group(2)) if r.group(2) else 200
    ua = _UA.search(c)
    return claim("gnutella", 1.0, version=dec(m.group(1)), status=status,
                 user_agent=dec(ua.group(1)) if ua else None)


SPEC = DetectorSpec(name="gnutella", transports=("tcp",), probe=probe, max_bytes=1024, max_packets=3,
                    prefilter=Prefilter(c2s=frozenset(b"G"), s2c=frozenset(b"G")), max_confidence=1.0)
