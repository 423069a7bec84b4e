"""Beanstalkd work queue (beanstalkd's doc/protocol.txt): the client speaks first, in text
lines ended by CR LF: a command name and its space-separated arguments ("put <pri> <delay>
<ttr> <bytes>" then the job body, "use <tube>", "watch <tube>", "reserve",
"reserve-with-timeout <seconds>", "peek <id>", "kick <bound>", "stats", "list-tubes",
...).  The server answers each with one line: "INSERTED <id>", "USING <tube>",
"WATCHING <count>", "RESERVED <id> <bytes>", "OK <bytes>" (a YAML body follows), ...

This detector relies on the pair: the client's first line must be a command with the
arguments the protocol gives it, and the server's first line an answer that command
can get (the tube echoed by "USING").  Commands whose answers memcached shares
("delete", "touch": "DELETED", "TOUCHED") are not used.
Metadata: command (the client's first), tube (of "use"/"watch").
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAX_LINE = 224          # the longest command line: "put" with four numbers, a 200-byte tube name

# command -> (argument kinds, the answers it may get: first word -> argument kinds)
# kinds: "n" a decimal number, "t" a tube name
_INT = ("n",)
COMMANDS = {
    b"put": (("n", "n", "n", "n"), {b"INSERTED": _INT, b"BURIED": _INT, b"JOB_TOO_BIG": (),
                                    b"EXPECTED_CRLF": (), b"DRAINING": ()}),
    b"use": (("t",), {b"USING": ("t",)}),
    b"watch": (("t",), {b"WATCHING": _INT}),
    b"ignore": (("t",), {b"WATCHING": _INT, b"NOT_IGNORED": ()}),
    b"reserve": ((), {b"RESERVED": ("n", "n"), b"DEADLINE_SOON": ()}),
    b"reserve-with-timeout": (_INT, {b"RESERVED": ("n", "n"), b"DEADLINE_SOON": (), b"TIMED_OUT": ()}),
    b"peek": (_INT, {b"FOUND": ("n", "n")}),
    b"peek-ready": ((), {b"FOUND": ("n", "n")}),
    b"peek-delayed": ((), {b"FOUND": ("n", "n")}),
    b"peek-buried": ((), {b"FOUND": ("n", "n")}),
    b"kick": (_INT, {b"KICKED": _INT}),
    b"stats": ((), {b"OK": _INT}),
    b"stats-tube": (("t",), {b"OK": _INT}),
    b"stats-job": (_INT, {b"OK": _INT}),
    b"list-tubes": ((), {b"OK": _INT}),
    b"list-tube-used": ((), {b"USING": ("t",)}),
    b"list-tubes-watched": ((), {b"OK": _INT}),
    b"pause-tube": (("t", "n"), {b"PAUSED": ()}),
}
_TUBE_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-+/;.$_()")


def _args_ok(args, kinds) -> bool:
    if len(args) != len(kinds):
        return False
    for a, k in zip(args, kinds):
        if k == "n":
            if not a.isdigit() or len(a) > 20:
                return False
        # protocol.txt: names are letters, digits and -+/;.$_(), at most 200 bytes, not
        # starting with a hyphen
        elif not a or len(a) > 200 or a[0] == 0x2d or not set(a) <= _TUBE_CHARS:
            return False
    return True


def _line(d: bytes):
    """The first line without CR LF, MORE while it may still be one, or None."""
    i = d.find(b"\r\n", 0, MAX_LINE + 2)
    if i < 0:
        if len(d) > MAX_LINE + 1 or b"\n" in d[:MAX_LINE + 1]:
            return None                   # a line too long, or ended by a bare LF
        return MORE
    return d[:i]


def _word_may_be(d: bytes, words) -> bool:
    """An unfinished line: its first word is one of words, or a prefix of one while
    no space has ended it yet."""
    head = d.split(b" ", 1)
    word = head[0].rstrip(b"\r")
    if len(head) > 1 or d.endswith(b"\r"):
        return word in words
    return any(w.startswith(word) for w in words)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE          # the client always speaks first
    line = _line(c)
    if line is None:
        return NO
    if line is MORE:
        return MORE if _word_may_be(c, COMMANDS) and not s else NO
    words = line.split(b" ")
    spec = COMMANDS.get(words[0])
    if spec is None or not _args_ok(words[1:], spec[0]):
        return NO
    if not s:
        return MORE
    answer = _line(s)
    if answer is None:
        return NO
    if answer is MORE:
        return MORE if _word_may_be(s, spec[1]) else NO
    awords = answer.split(b" ")
    kinds = spec[1].get(awords[0])
    if kinds is None or not _args_ok(awords[1:], kinds):
        return NO
    if awords[0] == b"USING" and words[0] == b"use" and awords[1] != words[1]:
        return NO                         # "use" is answered with the tube it names
    tube = dec(words[1]) if words[0] in (b"use", b"watch") else None
    return claim("beanstalkd", 0.9, command=dec(words[0]), tube=tube)


_FIRST_C = frozenset(k[0] for k in COMMANDS)
_FIRST_S = frozenset(a[0] for _, answers in COMMANDS.values() for a in answers)
SPEC = DetectorSpec(name="beanstalkd", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=_FIRST_C, s2c=_FIRST_S),
                    max_confidence=0.9)
