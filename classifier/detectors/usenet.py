"""NNTP (RFC 3977; RFC 4643 AUTHINFO; RFC 2980 extensions): the server greets first
with 200 (posting allowed) or 201 (no posting) and a text line; the reader then sends
commands (CAPABILITIES, MODE READER, GROUP, LIST, ARTICLE, AUTHINFO, ...) answered by
three-digit codes.  A "200 " greeting alone is shared with other line protocols, so
the client's first command must be an NNTP command (its keyword, ended by CRLF or by the
SP before its arguments) and, when present, the answer to it a code that command can
produce (RFC 3977 3.2 and each command's section).
Metadata: greeting, command.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, ascii_line, claim, dec

# command -> the first digits of the answers it may get (plus the generic 4xx/5xx)
COMMANDS = {b"CAPABILITIES": b"1", b"MODE": b"2", b"GROUP": b"2", b"LISTGROUP": b"2",
            b"LIST": b"2", b"ARTICLE": b"2", b"HEAD": b"2", b"BODY": b"2", b"STAT": b"2",
            b"NEXT": b"2", b"LAST": b"2", b"NEWGROUPS": b"2", b"NEWNEWS": b"2", b"OVER": b"2",
            b"XOVER": b"2", b"HDR": b"2", b"XHDR": b"2", b"DATE": b"1", b"HELP": b"1",
            b"POST": b"3", b"IHAVE": b"3", b"AUTHINFO": b"23", b"QUIT": b"2", b"STARTTLS": b"3",
            b"CHECK": b"4", b"TAKETHIS": b"2", b"XFEATURE": b"2", b"COMPRESS": b"2"}


def _server_alone(s: bytes, greet: bytes):
    """The server's side alone (one direction seen, or the reader's lost): the greeting
    is shared with other line protocols, but a capability list right after it is NNTP's
    own: "101" and, as its first line, "VERSION" with the version numbers (RFC 3977
    5.2.2, 3.3.2).  No command seen: 0.8; anything else after the greeting is left alone."""
    rest = s[len(greet):].lstrip(b"\r\n")
    first = ascii_line(rest, 512)
    if first is None:
        return MORE if len(rest) < 512 and b"101 "[:len(rest)] == rest[:4] else NO
    if first[:4] != b"101 ":
        return NO
    after = rest[len(first):].lstrip(b"\r\n")
    version = ascii_line(after, 512)
    if version is None:
        return MORE if len(after) < 64 and b"VERSION "[:len(after)] == after[:8] else NO
    words = version.split(b" ")
    if words[0] != b"VERSION" or len(words) < 2 or not all(w.isdigit() for w in words[1:]):
        return NO
    return claim("usenet", 0.8, greeting=dec(greet[4:], 120))


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not s:
        return NO if c and len(c) > 64 else MORE
    if s[:1] != b"2"[:1] or (len(s) >= 2 and s[1:2] != b"0") or (len(s) >= 3 and s[2:3] not in b"01"):
        return NO
    greet = ascii_line(s, 512)
    if greet is None:
        return MORE if len(s) < 512 else NO
    if len(greet) < 4 or greet[3:4] != b" ":
        return NO
    if not c:
        return _server_alone(s, greet)
    cmd = ascii_line(c, 512)
    if cmd is None:
        # A command line is a keyword, then SP and its arguments, then CRLF (RFC 3977
        # 3.1): once a space follows the keyword the command is known, whether or not
        # the line's end has arrived (a client cut off mid-line, a capture that ends).
        sp = c.find(b" ", 0, 13)
        if sp <= 0:
            return MORE if len(c) < 512 else NO
        cmd = c[:sp]
    word = cmd.split(b" ", 1)[0].upper()
    if word not in COMMANDS:
        return NO
    rest = s[len(greet):].lstrip(b"\r\n")
    if rest:
        answer = ascii_line(rest, 512)
        if answer is not None:
            if len(answer) < 3 or not answer[:3].isdigit() or \
                    not (answer[:1] in COMMANDS[word] or answer[:1] in b"45"):
                return NO
    return claim("usenet", 0.9, greeting=dec(greet[4:], 120), command=dec(word))


SPEC = DetectorSpec(name="usenet", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(s2c=frozenset(b"2")), max_confidence=0.9)
