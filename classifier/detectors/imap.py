"""IMAP (RFC 9051): server greeting ``* OK`` / ``* PREAUTH`` / ``* BYE``; client lines
are ``tag COMMAND``.  Metadata: banner.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, ascii_line, claim, dec

_CLIENT = re.compile(rb"[A-Za-z0-9.]{1,16} (CAPABILITY|LOGIN|AUTHENTICATE|STARTTLS|SELECT|"
                     rb"EXAMINE|LIST|LSUB|NOOP|LOGOUT|ID|ENABLE|STATUS|FETCH|UID)\b", re.I)


def probe(view, state):
    s = view.payload_s2c
    if s:
        if len(s) < 4:
            return MORE if any(g.startswith(s) for g in (b"* OK", b"* PR", b"* BY")) else NO
        if not s.startswith((b"* OK", b"* PREAUTH", b"* BYE", b"* PRE", b"* BY")):
            return NO                     # greetings are untagged OK, PREAUTH or BYE
        line = ascii_line(s, 1024)
        if line is None:
            return MORE if len(s) < 1024 else NO
        if not line.startswith((b"* OK", b"* PREAUTH", b"* BYE")):
            return NO                     # (the prefix test above accepted partial words)
        return claim("imap", 1.0, banner=dec(line[2:]))
    c = view.payload_c2s
    line = ascii_line(c, 256)
    if line is None:
        return MORE if len(c) < 256 else NO
    # Client-only view: a tagged IMAP command is distinctive enough.
    return claim("imap", 0.8) if _CLIENT.match(line) else NO


SPEC = DetectorSpec(name="imap", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0x21, 0x7F)),
                                                       s2c=frozenset(b"*")))
