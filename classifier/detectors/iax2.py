"""IAX2, the Inter-Asterisk eXchange protocol version 2 (RFC 5456), over UDP.  Calls
and registrations open with full frames (8.1.1):

    F (1 bit, set) | source call number (15) | R (1) | destination call number (15)
    | timestamp (u32) | OSeqno (u8) | ISeqno (u8) | frame type (u8) | C + subclass (u8)

then, for IAX control frames (type 6), information elements: type (u8), length (u8),
data (8.6).  The opening frame (NEW, POKE, REGREQ, REGREL, or CALLTOKEN-bearing NEW)
has destination call 0 and both sequence numbers 0; NEW carries the VERSION IE (0x0b,
2 bytes, value 2).  The answer is a full frame whose destination call number is the
opener's source call number.  This detector wants the opener's frame with its IEs
filling the datagram exactly: 0.9 (1.0 with VERSION 2, or with the answer echoing the
call number).  Metadata: subclass (the opener's), called_number (IE 0x01, when sent).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

IAX = 6
OPENERS = {0x01: "new", 0x1e: "poke", 0x0d: "regreq", 0x11: "regrel"}
ANSWERS = {0x03, 0x04, 0x06, 0x07, 0x08, 0x0e, 0x0f, 0x10, 0x28}   # pong ack reject accept authreq regauth regack regrej calltoken


def _ies(b: bytes):
    """{type: data} when the IEs fill `b` exactly, else None."""
    out, i = {}, 0
    while i < len(b):
        if i + 2 > len(b) or i + 2 + b[i + 1] > len(b):
            return None
        out.setdefault(b[i], b[i + 2:i + 2 + b[i + 1]])
        i += 2 + b[i + 1]
    return out


def _opener(d: bytes):
    if len(d) < 12:
        want = [None, None, 0, 0, None, None, None, None, 0, 0, IAX]
        if d and not d[0] & 0x80:
            return None
        return MORE if all(w is None or b == w for b, w in zip(d, want)) else None
    if not d[0] & 0x80 or d[2:4] != b"\x00\x00" or d[8] or d[9] or d[10] != IAX:
        return None
    sub = OPENERS.get(d[11])
    if sub is None or (d[0] & 0x7F, d[1]) == (0, 0):
        return None                      # a known opener from a nonzero call number
    ies = _ies(d[12:])
    if ies is None:
        return None
    return sub, ies


def probe(view, state):
    c = view.datagrams_c2s
    if c and len(c[0]) > 2 and c[0][2] != 0:
        return NO                        # _opener refuses it (the common case, cheaply)
    c = [d for d in c if d]
    s = [d for d in view.datagrams_s2c if d]
    if not c:
        return NO if s else MORE
    r = _opener(c[0])
    if r is None:
        return NO
    if r is MORE:
        return MORE if len(c) == 1 and not s else NO
    sub, ies = r
    conf = 1.0 if ies.get(0x0b) == b"\x00\x02" else 0.9
    if sub == "new" and 0x0b not in ies:
        return NO                        # NEW always states the protocol version
    if s:
        a = s[0]
        if len(a) < 12 or not a[0] & 0x80 or (a[2] & 0x7F, a[3]) != (c[0][0] & 0x7F, c[0][1]):
            return NO                    # the answer is addressed to the opener's call
        if a[10] == IAX and a[11] not in ANSWERS:
            return NO
        conf = 1.0
    called = ies.get(0x01)
    return claim("iax2", conf, subclass=sub, called_number=dec(called) if called else None)


SPEC = DetectorSpec(name="iax2", transports=("udp",), probe=probe, max_bytes=1024, max_packets=1,
                    prefilter=Prefilter(c2s=frozenset(range(0x80, 0x100))), max_confidence=1.0,
                    # the client's first datagram is an opener (_opener): a full frame
                    # (F bit), destination call 0, oseqno and iseqno 0, frame type IAX,
                    # subclass NEW, POKE, REGREQ or REGREL (0x01..0x1e)
                    gate=Gate(c2s_only=True, min_len=12,
                              bytes=((0, 0x80, 0x80, 0x80), (2, 0xff, 0, 0), (3, 0xff, 0, 0), (8, 0xff, 0, 0),
                                     (9, 0xff, 0, 0), (10, 0xff, IAX, IAX), (11, 0xff, 0x01, 0x1e))))
