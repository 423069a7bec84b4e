"""memcached: text protocol (``get k``, ``set k flags exp bytes``, ``stats``,
``version``...; replies VALUE/STORED/END/STAT/VERSION), the binary protocol (magic 0x80
request / 0x81 response, 24-byte header), and UDP with its 8-byte frame header.
Metadata: command, protocol.
"""
from __future__ import annotations

import re

from . import _fast
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

_CMD = re.compile(rb"(get|gets|gat|gats|set|add|replace|append|prepend|cas|delete|incr|decr|"
                  rb"touch|stats|version|flush_all|verbosity|quit|mg|ms|md|ma|mn|me|lru_crawler|"
                  rb"watch|shutdown|cache_memlimit|slabs)(?: [^\r\n]{0,300})?\r\n")
_STORE = re.compile(rb"(set|add|replace|append|prepend) \S{1,250} \d{1,10} -?\d{1,10} \d{1,10}( noreply)?\r\n")
_REPLY = re.compile(rb"(VALUE \S+ \d+ \d+|STORED|NOT_STORED|EXISTS|NOT_FOUND|END|DELETED|"
                    rb"TOUCHED|OK|STAT \S+ |VERSION \d|ERROR|CLIENT_ERROR|SERVER_ERROR|HD|VA \d|EN|NF|NS|EX|MN)")


def _text(c: bytes, s: bytes):
    if s and b"\n" not in s and len(s) < 64:
        s = b""                            # the reply is still arriving: judge c alone
    m = _CMD.match(c)
    if m is None:
        if b"\r\n" in c[:320] or len(c) > 320:
            return NO
        return MORE if c[:1].isalpha() and c.split(b" ")[0].isalpha() else NO
    cmd = m.group(1).decode()
    if cmd in ("set", "add", "replace", "append", "prepend") and not _STORE.match(c):
        return NO                          # storage commands have a fixed argument shape
    if s:
        if not _REPLY.match(s):
            return NO
        return claim("memcached", 1.0, command=cmd, protocol="text")
    # Storage syntax alone is distinctive; "get x" / "stats" could be many things.
    if cmd in ("set", "add", "replace", "append", "prepend", "cas"):
        return claim("memcached", 0.85, command=cmd, protocol="text")
    return MORE


def _binary(c: bytes, s: bytes):
    if len(c) < 24:
        return MORE
    if c[0] != 0x80 or c[5] != 0 or c[6:8] != b"\x00\x00":
        return NO                          # data type 0 and vbucket/status 0 in requests
    klen, elen = int.from_bytes(c[2:4], "big"), c[4]
    body = int.from_bytes(c[8:12], "big")
    if klen + elen > body:
        return NO
    if s and s[:1] != b"\x81":
        return NO
    return claim("memcached", 1.0 if s else 0.8, protocol="binary", opcode=c[1])


# probe(view, state): UDP -- the 8-byte frame header (request id, sequence 0, datagram
# count >= 1, reserved 0), then the first datagram of each side; TCP -- each
# direction's bytes; binary protocol (0x80) by _binary, text by _text.  The dispatch
# and the frame header are compiled (memcached.pxi).
probe = _fast.memcached_probe


SPEC = DetectorSpec(name="memcached", transports=("tcp", "udp"), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(any=True),
                    # UDP: the client's first datagram opens with the frame header
                    # (sequence 0, reserved 0) and carries a command after it
                    gate=Gate(c2s_only=True, min_len=9,
                              bytes=((2, 0xff, 0, 0), (3, 0xff, 0, 0), (6, 0xff, 0, 0), (7, 0xff, 0, 0))))
# any: over UDP the first bytes are a random request id, and the engine cannot tell
# the transports' hints apart within one spec.
