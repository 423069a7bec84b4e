"""MGCP, the Media Gateway Control Protocol (RFC 3435), over UDP: text commands from a
call agent to a gateway (or back, NTFY / RSIP), each acknowledged by a response.

    command   verb SP transaction-id SP endpoint SP "MGCP" SP version [SP profile] EOL
              verb: EPCF CRCX MDCX DLCX RQNT NTFY AUEP AUCX RSIP (3.2.1; 4-letter
              extension verbs start with X), transaction-id 1-9 digits (3.2.1.2),
              endpoint local-name@domain (2.1.1), version "1.0" (or 0.1)
    response  3-digit code SP transaction-id [SP package/commentary] EOL (3.2.2.1)

The command line's fixed grammar (a verb from the list, the "MGCP 1.0" token, an
endpoint with '@') is confidence 1.0; a response must echo a transaction id.
Metadata: verb, endpoint, code (the response's).
"""
from __future__ import annotations

import re

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

VERBS = (b"EPCF", b"CRCX", b"MDCX", b"DLCX", b"RQNT", b"NTFY", b"AUEP", b"AUCX", b"RSIP")
_CMD = re.compile(rb"\A([A-Z]{4}) (\d{1,9}) ([!-~]+@[!-~]+) MGCP (\d\.\d)(?: [!-~]+)?\r?\n")
_RESP = re.compile(rb"\A(\d{3}) (\d{1,9})(?: [^\r\n]*)?\r?(?:\n|\Z)")


def _command(d: bytes):
    m = _CMD.match(d)
    if m is None:
        return None
    verb = m.group(1)
    if verb not in VERBS and not verb.startswith(b"X"):
        return None
    return m


def probe(view, state):
    c, s = _units.nonempty(view)
    if not c and not s:
        return MORE
    first = (c or s)[0]
    m = _command(first)
    if m is None:
        if len(first) < 5 and any(v.startswith(first[:4]) for v in VERBS):
            return MORE if len(c) + len(s) == 1 else NO
        return NO
    code = None
    other = s if c else c
    if other:
        r = _RESP.match(other[0]) or None
        if r is not None:
            if r.group(2) != m.group(2):
                return NO                # a response echoes the transaction id
            code = int(r.group(1))
        elif _command(other[0]) is None:
            return NO
    return claim("mgcp", 1.0, verb=dec(m.group(1)), endpoint=dec(m.group(3)), code=code)


# The gates (compiled): the first datagram, the client's or else the server's, starts
# with a command line: four capitals and a space ("XXXX 1 a@b MGCP 1.0" is 20 bytes at
# least, its line end included).
_VERB = tuple((k, 0xff, ord("A"), ord("Z")) for k in range(4)) + ((4, 0xff, 0x20, 0x20),)
SPEC = DetectorSpec(name="mgcp", transports=("udp",), probe=probe, max_bytes=2048, max_packets=1,
                    prefilter=Prefilter(c2s=frozenset(b"ECMDRNAX"), s2c=frozenset(b"ECMDRNAX")),
                    max_confidence=1.0, gate=(Gate(c2s_only=True, min_len=20, bytes=_VERB),
                                              Gate(s2c_only=True, min_len=20, bytes=_VERB)))
