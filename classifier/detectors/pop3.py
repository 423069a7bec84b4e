"""POP3 (RFC 1939): server greets ``+OK``; client commands USER/APOP/CAPA/STLS/AUTH.
Metadata: banner.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, ascii_line, claim, dec
from ._banner import commands

CMDS = frozenset(b"USER PASS APOP CAPA STLS AUTH STAT LIST RETR DELE UIDL TOP QUIT NOOP RSET".split())


def probe(view, state):
    s = view.payload_s2c
    cmds = commands(view.payload_c2s)
    if cmds and cmds[0] not in CMDS:
        # The client's first line must be a POP3 verb: a bare "+OK" reply is also how
        # Redis, and many line protocols, acknowledge a command.
        return NO
    if s:
        if len(s) < 3:
            return MORE if b"+OK".startswith(s) or b"-ERR".startswith(s) else NO
        if not (s.startswith(b"+OK") or s.startswith(b"-ERR")):
            return NO
        line = ascii_line(s, 512)
        if line is None:
            return MORE if len(s) < 512 else NO
        if not cmds and not (line.startswith(b"+OK ") and line[4:].strip()):
            # The server's side alone (one direction seen, or the client's lost): the
            # greeting is a positive response with its text (RFC 1939 4); a bare "+OK"
            # or an "-ERR" is how Redis, and other line protocols, answer a command:
            # the client's first line decides (MORE until it comes).
            return MORE
        return claim("pop3", 1.0, banner=dec(line[3:].strip()))
    if not cmds:
        return MORE
    # Client-only view (server side missing): CAPA/STLS/APOP are POP3-specific verbs;
    # USER alone is shared with FTP and stays inconclusive.
    if cmds[0] in (b"CAPA", b"STLS", b"APOP") and all(c in CMDS for c in cmds):
        return claim("pop3", 0.8)
    return NO if cmds[0] not in CMDS else MORE


SPEC = DetectorSpec(name="pop3", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"UPACSLRDTQNucas"),
                                                       s2c=frozenset(b"+-")))
