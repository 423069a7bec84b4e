"""STOMP 1.0-1.2 (stomp.github.io specification): frames are a command line, header
lines "name:value", an empty line, a body and a NUL.  The client opens with CONNECT (or
STOMP in 1.1+), whose headers name accept-version / host / login; the server answers
CONNECTED (with version / server / session) or ERROR.  This detector wants the whole
header block of the first frame of a side: every header line must be "name:value".
Metadata: version (accept-version or version), host, server.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

CLIENT = (b"CONNECT", b"STOMP")
SERVER = (b"CONNECTED", b"ERROR")
KEYS = {b"accept-version": "version", b"version": "version", b"host": "host", b"server": "server"}


def _frame(d: bytes, commands):
    """Headers of the first frame, MORE, or None."""
    nl = d.find(b"\n")
    if nl < 0:
        return MORE if len(d) < 16 and any(x.startswith(d) for x in commands) else None
    if d[:nl].rstrip(b"\r") not in commands:
        return None
    end = d.find(b"\n\n", nl)
    end2 = d.find(b"\r\n\r\n", nl)
    ends = [e for e in (end, end2) if e >= 0]
    if not ends:
        return MORE if len(d) < 1024 else None
    block = d[nl + 1:min(ends)]
    headers = {}
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or b" " in name:
            return None
        headers.setdefault(name.lower(), value)
    return headers


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        # Only the server's bytes (one direction seen, or the CONNECT lost): a CONNECTED
        # frame whose header block names what STOMP's CONNECTED carries (version from
        # 1.1 on, session, server, heart-beat) is the answer to a CONNECT.  ERROR alone
        # is left alone (a common word).  No request seen: 0.85.
        if not s:
            return MORE
        hs = _frame(s, SERVER[:1])
        if hs is None or hs is MORE:
            return NO if hs is None else MORE
        if not set(hs) & {b"version", b"session", b"server", b"heart-beat"}:
            return NO
        return claim("stomp", 0.85, **{KEYS[k]: dec(v) for k, v in hs.items() if k in KEYS})
    h = _frame(c, CLIENT)
    if h is None or h is MORE:
        return NO if h is None else MORE
    meta = {KEYS[k]: dec(v) for k, v in h.items() if k in KEYS and KEYS[k] != "server"}
    if s:
        hs = _frame(s, SERVER)
        if hs is None:
            return NO
        if hs is not MORE:
            meta.update({KEYS[k]: dec(v) for k, v in hs.items() if k in KEYS})
    elif not (set(h) & {b"accept-version", b"host", b"login"}):
        return MORE                   # a bare CONNECT line says little: wait for the answer
    return claim("stomp", 0.95, **meta)


SPEC = DetectorSpec(name="stomp", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"CS"), s2c=frozenset(b"CE")),
                    max_confidence=0.95)
