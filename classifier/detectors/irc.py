"""IRC (RFC 1459 / 2812): client registration lines (NICK, USER x y z :real, PASS,
CAP LS) and server lines ``:prefix NNN|COMMAND ...``.  Metadata: nick, server.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

_CLIENT = re.compile(rb"(?:(?:PASS [^\r\n]+|CAP LS(?: \d+)?|CAP END)\r?\n)*NICK ([^\s]{1,64})\r?\n|"
                     rb"(?:(?:PASS [^\r\n]+|CAP LS(?: \d+)?)\r?\n)*USER \S+ \S+ \S+ :[^\r\n]*\r?\n")
_SERVER = re.compile(rb":(\S{1,255}) (?:\d{3}|NOTICE|PRIVMSG|PING|CAP|ERROR|MODE|JOIN) [^\r\n]*\r?\n|"
                     rb"NOTICE (?:AUTH|\*) :[^\r\n]*\r?\n|PING :[^\r\n]+\r?\n")
_PREAMBLE = re.compile(rb"(PASS [^\r\n]+|CAP [A-Z]+[^\r\n]*)\r?$")
_START = (b"NICK", b"USER", b"PASS", b"CAP ", b":", b"NOTICE", b"PING")


def probe(view, state):
    meta, more = {}, False
    c, s = view.payload_c2s, view.payload_s2c
    if c:
        m = _CLIENT.match(c)
        if m:
            nick = re.search(rb"NICK (\S{1,64})", c)
            meta["nick"] = dec(nick.group(1)) if nick else None
        elif any(p.startswith(c[:len(p)]) or c.startswith(p) for p in _START) and b"\n" not in c[-1:]:
            more = True
        elif all(_PREAMBLE.match(line) for line in c.split(b"\n")[:-1]) and len(c) < 512:
            # Only PASS / CAP negotiation so far: NICK and USER come next (IRCv3).
            more = True
    if s:
        m = _SERVER.match(s)
        if m:
            meta["server"] = dec(m.group(1)) if m.group(1) else None
        elif any(s.startswith(p) for p in _START) and len(s) < 512 and b"\n" not in s:
            more = True
    if meta:
        return claim("irc", 1.0 if len(meta) == 2 else 0.9, **meta)
    return MORE if more else NO


SPEC = DetectorSpec(name="irc", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"NUPC"), s2c=frozenset(b":NP")))
