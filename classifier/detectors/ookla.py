"""Ookla Speedtest's server protocol (the plain-text protocol a Speedtest server speaks
on its TCP port, one command per LF-ended line, as open-source Speedtest clients'
protocol notes describe it; nDPI's ookla.c matches its greeting):
the client opens with the line "HI", optionally followed by a space and a GUID, ended
by LF; the server answers "HELLO <major>.<minor> ..." (its version, then build
details) on one line.  Commands follow, one per line: PING <ms>, GETIP, CAPABILITIES,
INITPLOSS, DOWNLOAD <n>, UPLOAD <n> <m>, QUIT; the server answers PONG, YOURIP, OK...

This detector relies on the client's first line ("HI" alone or "HI <guid>") and the
server's "HELLO <digits>.<digits>" line (0.9: both sides' fixed words and syntax).
Client lines alone keep it waiting (MORE) while they are known commands.
Metadata: server_version (the HELLO line's version), client_id (the GUID, if any).
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

_HI = re.compile(rb"HI(?: ([0-9A-Za-z][0-9A-Za-z-]{0,63}))?\r?\Z")
_HELLO = re.compile(rb"HELLO (\d{1,3}\.\d{1,3})(?: [\x20-\x7e]{0,200})?\r?\Z")
_COMMAND = re.compile(rb"(?:PING|GETIP|CAPABILITIES|INITPLOSS|DOWNLOAD|UPLOAD|QUIT|PLOSS|HI)(?: [\x20-\x7e]{0,200})?\r?\Z")
MAX_LINE = 256


def _first_line(data: bytes):
    i = data.find(b"\n", 0, MAX_LINE)
    if i < 0:
        return MORE if len(data) < MAX_LINE else None
    return data[:i]


_ANSWER = re.compile(rb"(?:PONG \d{1,12}|YOURIP [0-9A-Fa-f:.]{3,45})\r?\Z")


def _hello(s: bytes):
    """The server's first line as a HELLO: (its match, the line), MORE, or NO."""
    reply = _first_line(s)
    if reply is None:
        return NO
    if reply is MORE:
        return MORE if b"HELLO "[:len(s)] == s[:6] else NO
    h = _HELLO.match(reply)
    return (h, reply) if h else NO


def _server_alone(s: bytes):
    r = _hello(s)
    if r is NO or r is MORE:
        return r
    h, reply = r
    nxt = _first_line(s[len(reply) + 1:])
    if nxt is MORE:
        return MORE
    if nxt is None or not _ANSWER.match(nxt):
        return NO
    return claim("ookla", 0.75, server_version=dec(h.group(1)))


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        # The client speaks first; with only the server's side (one direction seen, or
        # the client's lost), its HELLO line must be followed by an answer of the
        # protocol's own (PONG <ms> to PING, YOURIP <address> to GETIP): 0.75.
        return _server_alone(s) if s else MORE
    if not b"HI".startswith(c[:2]):
        return NO
    line = _first_line(c)
    if line is None:
        return NO
    if line is MORE:
        # "HI" then a space and a GUID, or the line end: nothing else
        return MORE if len(c) < 3 or c[2:3] in (b" ", b"\r") else NO
    m = _HI.match(line)
    if not m:
        return NO
    if not s:
        # further client lines must be commands while the server is silent
        for extra in c[len(line) + 1:].split(b"\n")[:-1]:
            if not _COMMAND.match(extra):
                return NO
        return MORE
    r = _hello(s)
    if r is NO or r is MORE:
        return r
    h = r[0]
    return claim("ookla", 0.9, server_version=dec(h.group(1)),
                 client_id=dec(m.group(1)) if m.group(1) else None)


SPEC = DetectorSpec(name="ookla", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"H"), s2c=frozenset(b"H")),
                    max_confidence=0.9)
