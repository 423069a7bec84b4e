"""Redis RESP (RESP2/RESP3): commands are arrays of bulk strings
``*N\\r\\n$M\\r\\nCMD\\r\\n``; replies start with + - : $ * (RESP3 adds %, ~, _, #, ,).
Inline commands (``PING\\r\\n``) are accepted only with a RESP reply.
Metadata: command.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim

_ARRAY = re.compile(rb"\*(\d{1,6})\r\n\$(\d{1,9})\r\n")
_PARTIAL = re.compile(rb"\*(\d{0,6}(\r(\n(\$(\d{0,9}(\r)?)?)?)?)?)?$")
_REPLY = re.compile(rb"(\+[^\r\n]{0,512}|-[A-Z]+[^\r\n]{0,512}|:-?\d{1,20}|\$-?\d{1,10}|\*-?\d{1,6}|%\d{1,6}|_)\r\n")
INLINE = (b"PING", b"INFO", b"AUTH", b"HELLO", b"QUIT", b"SELECT", b"KEYS", b"MONITOR")


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if c:
        m = _ARRAY.match(c)
        if m:
            n, ln = int(m.group(1)), int(m.group(2))
            if n == 0 or ln == 0:
                return NO                 # a command is a non-empty array of non-empty strings
            cmd = c[m.end():m.end() + ln]
            if len(cmd) < ln:
                return MORE
            if not cmd.isalpha():
                return NO              # command names are letters (GET, CLIENT, ...)
            return claim("redis", 1.0, command=cmd.decode().upper())
        if _PARTIAL.match(c[:24]):
            return MORE
        word = c.split(b"\r\n", 1)[0].split(b" ", 1)[0].upper()
        if word in INLINE and s:
            return claim("redis", 0.85, command=word.decode()) if _REPLY.match(s) else NO
        if word in INLINE and b"\r\n" in c:
            return MORE
        if not s and c.rstrip(b"\r\n") and INLINE[0].startswith(c.upper()):
            return MORE
        return NO                         # neither RESP framing nor a known inline command
    return MORE if s and _REPLY.match(s) else NO


SPEC = DetectorSpec(name="redis", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"*PIAHQSKMpiahqskm"),
                                                       s2c=frozenset(b"+-:$*%_")))
