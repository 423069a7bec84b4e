"""League of Legends: Wild Rift (Riot Games' mobile MOBA): two UDP shapes, as nDPI's
lol_wild_rift.c reads them and its pull requests #2356 and #2359 describe them (no
public specification exists; Riot documents none):

* the match session's opening exchange: "the first two packets in this session always
  have payload lengths of 69 and 359 bytes" and start with 0x04000000 (the client's
  request) and 0x10000000 (the server's response), big endian as nDPI reads them,
  i.e. bytes 04 00 00 00 and 10 00 00 00 (PR #2356; lol_wild_rift.c waits for the
  69-byte request, then claims on the 359-byte response);
* a keepalive the client sends alone, "its size is always 22 bytes" (PR #2359):
  01 02 c8 41, 14 bytes, then "A0B1" (41 30 42 31) at the end (lol_wild_rift.c).

This detector claims a flow whose client's first datagram is the 69-byte request and
whose server's first is the 359-byte response (0.85: two 4-byte constants at two exact
sizes, one in each direction), or whose datagrams are all 22-byte keepalives (0.85: 8
constant bytes at an exact size; 0.95 for two or more).  The keepalive's first four
bytes also read as a uTP header (BEP 29: type 0, version 1, extension 2, connection id
0xc841), and the bittorrent detector claims two datagrams with the same connection id
at 0.9 without following the extension chain (an extension of type 2 needs a length
byte and that many bytes past the 20-byte header, which 22 bytes do not hold): several
agreeing keepalives are therefore claimed above that.  A request alone is awaited (MORE) until the server
answers.  The bytes after those constants are encrypted or unknown and not read.
Metadata: message ("match-start" or "keepalive").
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

REQUEST, REQUEST_LEN = b"\x04\x00\x00\x00", 69
RESPONSE, RESPONSE_LEN = b"\x10\x00\x00\x00", 359
KEEPALIVE_HEAD, KEEPALIVE_TAIL, KEEPALIVE_LEN = b"\x01\x02\xc8\x41", b"A0B1", 22


def _keepalive(d: bytes):
    """True for a whole keepalive, MORE for a possible prefix of one, None otherwise."""
    if len(d) < KEEPALIVE_LEN:
        return MORE if KEEPALIVE_HEAD.startswith(d[:4]) else None
    return (len(d) == KEEPALIVE_LEN and d[:4] == KEEPALIVE_HEAD
            and d[-4:] == KEEPALIVE_TAIL) or None


def _match_start(c: list, s: list):
    """MATCH, MORE (a request, or a prefix of one, awaiting the response) or NO."""
    req = c[0] if c else b""
    if len(req) < REQUEST_LEN:
        return MORE if not s and len(c) == 1 and REQUEST.startswith(req[:4]) else NO
    if len(req) != REQUEST_LEN or req[:4] != REQUEST:
        return NO
    if not s:
        return MORE
    rsp = s[0]
    if len(rsp) != RESPONSE_LEN or rsp[:4] != RESPONSE:
        return NO                        # (the budget keeps 359 bytes whole: max_bytes)
    return claim("lolwildrift", 0.85, message="match-start")


def probe(view, state):
    c, s = _units.nonempty(view)
    if not c and not s:
        return MORE
    first = (c or s)[0]
    if first[:1] == KEEPALIVE_HEAD[:1]:
        dgs = c + s
        for d in dgs:
            r = _keepalive(d)
            if r is None:
                return NO
            if r is MORE:
                return MORE if len(dgs) == 1 else NO
        # two agreeing keepalives outrank a uTP reading of the same bytes (below)
        return claim("lolwildrift", 0.95 if len(dgs) > 1 else 0.85, message="keepalive")
    return _match_start(c, s)


# The client opens with 0x01 (keepalive) or 0x04 (match request), the server answers
# with 0x10.  The gates refuse in compiled code what neither shape allows: a keepalive's
# head on every side's first datagram, or the request and the response (two sides, a
# 4-byte constant each, the first byte 0x04 or 0x10 and three zeros).
SPEC = DetectorSpec(name="lolwildrift", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4,
                    prefilter=Prefilter(c2s=frozenset((0x01, 0x04)), s2c=frozenset((0x10,))),
                    max_confidence=0.95,
                    gate=(Gate(min_len=KEEPALIVE_LEN, bytes=((0, 0xff, 0x01, 0x01), (1, 0xff, 0x02, 0x02),
                                                              (2, 0xff, 0xc8, 0xc8), (3, 0xff, 0x41, 0x41))),
                          Gate(units=2, min_len=REQUEST_LEN,
                               bytes=((0, 0xff, 0x04, 0x10),
                                      (1, 0xff, 0, 0), (2, 0xff, 0, 0), (3, 0xff, 0, 0)))))
