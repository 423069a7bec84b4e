"""Roughtime (draft-ietf-ntp-roughtime; Google's original protocol): a client sends a
request (padded to at least 1024 bytes), the server answers with a signed response.
Both are the same tagged message (draft section "Data Structures"): a u32 LE count N
of tags, N-1 u32 LE offsets, N u32 tags, then the values.  Offsets are multiples of 4
and non-decreasing, every value's length is a multiple of 4, the last value runs to
the end of the message, and the tags are strictly increasing as u32 LE.  The IETF
drafts (07 on) put the message in a frame: the 8 ASCII bytes "ROUGHTIM" and a u32 LE
length of the message, which is how it runs over TCP too.

This detector parses the whole message and requires every rule above, with tags from
the drafts' registry (NONC, PAD, SIG, VER, SREP, CERT, INDX, PATH, ...): a count, a
sorted tag list of known values and offsets that agree with the length (0.9).
Metadata: tags (comma-separated, in order), framed (true when "ROUGHTIM" framed).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

FRAME = b"ROUGHTIM"
TAGS = frozenset((b"PAD\x00", b"PAD\xff", b"SIG\x00", b"VER\x00", b"SRV\x00", b"NONC", b"DELE",
                  b"PATH", b"RADI", b"PUBK", b"MIDP", b"SREP", b"MINT", b"ROOT", b"CERT",
                  b"MAXT", b"INDX", b"ZZZZ", b"VERS", b"TYPE", b"DUT1", b"DTAI", b"LEAP"))
MAX_TAGS = len(TAGS)


def _message(m: bytes):
    """The tag list when m is one whole message, MORE when it is a prefix, else None."""
    if len(m) < 4:
        return MORE
    n = int.from_bytes(m[0:4], "little")
    if not 1 <= n <= MAX_TAGS:
        return None
    head = 4 + 8 * n - 4
    if len(m) < head:
        # check what is there already: a prefix must not break the rules
        return _partial_tags(m, n)
    offsets = [int.from_bytes(m[4 + 4 * k:8 + 4 * k], "little") for k in range(n - 1)]
    tags = [m[4 + 4 * (n - 1) + 4 * k:8 + 4 * (n - 1) + 4 * k] for k in range(n)]
    if any(t not in TAGS for t in tags):
        return None
    values = [int.from_bytes(t, "little") for t in tags]
    if any(a >= b for a, b in zip(values, values[1:])):
        return None                   # tags strictly increasing
    prev = 0
    for off in offsets:
        if off % 4 or off < prev:
            return None
        prev = off
    body = len(m) - head
    if body < prev:
        return MORE                   # values still coming
    if body % 4:
        return None
    return [t.rstrip(b"\x00\xff").decode("ascii") for t in tags]


def _partial_tags(m: bytes, n: int):
    start = 4 + 4 * (n - 1)
    for k in range(n):
        t = m[start + 4 * k:start + 4 * k + 4]
        if len(t) < 4:
            break
        if t not in TAGS:
            return None
    return MORE


def _unit(u: bytes, framed_required: bool):
    """(tags, framed) for one datagram / one direction's stream, MORE, or None."""
    if FRAME.startswith(u[:8]) and (len(u) < 8 or u[:8] == FRAME):
        if len(u) < 12:
            return MORE
        size = int.from_bytes(u[8:12], "little")
        if len(u) < 12 + size:
            r = _message(u[12:])
            return None if r is None else MORE
        r = _message(u[12:12 + size])
        if r is None or r is MORE:
            return None               # the frame's length holds the whole message
        return r, True
    if framed_required:
        return None
    r = _message(u)
    if r is None or r is MORE:
        return r
    return r, False


def probe(view, state):
    tcp = view.transport == "tcp"
    units = ((view.payload_c2s, view.payload_s2c) if tcp
             else tuple(view.datagrams_c2s) + tuple(view.datagrams_s2c))
    found = None
    for u in units:
        if not u:
            continue
        r = _unit(u, tcp)
        if r is None:
            return NO
        if r is MORE:
            return MORE
        found = found or r
    if found is None:
        return MORE
    tags, framed = found
    return claim("roughtime", 0.9, tags=",".join(tags), framed=framed)


# the tag count's low byte, or the frame's "R": requests carry 2-3 tags (NONC and
# padding, VER before them in the IETF drafts), responses 5-7 (SIG, NONC, TYPE, PATH,
# SREP, CERT, INDX), so 2..8 covers both and keeps the probe off 0x00/0x01-led flows
_FIRST = frozenset(range(2, 9)) | frozenset(b"R")
SPEC = DetectorSpec(name="roughtime", transports=("tcp", "udp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=_FIRST, s2c=_FIRST), max_confidence=0.9,
                    # A lone datagram (UDP) is a message, its tag count 1-23 as a u32 LE
                    # and at least one offset-less tag (8 bytes), or "ROUGHTIM" framed.
                    gate=(Gate(lone=True, min_len=8, bytes=((0, 0xFF, 1, MAX_TAGS), (1, 0xFF, 0, 0),
                                                            (2, 0xFF, 0, 0), (3, 0xFF, 0, 0))),
                          Gate(lone=True, min_len=8, bytes=tuple((k, 0xFF, c, c) for k, c in enumerate(FRAME)))))
