"""Agora SD-RTN (the Software Defined Real-time Network behind Agora's voice and video
SDKs): a client opens a session to an edge server with a UDP request that names the
edge by host name, in a key/value list.  What this detector relies on (nDPI's
sd_rtn.c documents the layout; there is no public specification):

    offset 0   6 bytes   header (sequence and session fields, not constrained here)
    offset 6   1 byte    message type 0x21 (the edge session request)
    offset 12  4 bytes   0x04 "SNI": the key of the first attribute
    offset 16  2 bytes   the attribute's value length (big endian)
    offset 18  1 byte    0x00
    offset 19  n bytes   the edge's host name (n = the length above), inside the datagram

A 5-byte marker plus a length that must agree with the datagram and a value that must
be a DNS host name; no other structure is checked, hence confidence 0.9.
Metadata: sni (the edge host name).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

_KEY = b"\x04SNI"
_HOST = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")


def _request(d: bytes):
    """The host name of an edge session request, MORE for a valid prefix, or None."""
    n = len(d)
    if n < 19:
        # a datagram is never cut on the wire, but the suite feeds prefixes: keep the
        # fixed fields that fit consistent
        if n > 6 and d[6] != 0x21:
            return None
        k = d[12:16]
        return MORE if _KEY.startswith(k) else None
    if d[6] != 0x21 or d[12:16] != _KEY or d[18] != 0:
        return None
    size = int.from_bytes(d[16:18], "big")
    if size < 3 or size > 253 or 19 + size > n:
        return None                     # a host name, inside the datagram
    host = d[19:19 + size]
    if not all(c in _HOST for c in host) or b"." not in host or host[:1] in b".-":
        return None
    return host


def probe(view, state):
    """MATCH on the first client datagram that is an edge session request; the
    request must be the client's first datagram (it opens the session)."""
    c = view.datagrams_c2s
    if c and len(c[0]) > 6 and c[0][6] != 0x21:
        return NO                       # _request refuses it (the common case, cheaply)
    c = [d for d in c if d]
    if not c:
        s = [d for d in view.datagrams_s2c if d]
        # the client always speaks first; a capture that starts later is left alone
        return NO if s else MORE
    r = _request(c[0])
    if r is None:
        return NO
    if r is MORE:
        return MORE
    return claim("sd-rtn", 0.9, sni=dec(r))


SPEC = DetectorSpec(name="sd-rtn", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=1, prefilter=Prefilter(any=True), max_confidence=0.9,
                    # the client's first datagram is the request: type 0x21, b"\x04SNI", 0
                    gate=Gate(c2s_only=True, min_len=19,
                              bytes=((6, 0xff, 0x21, 0x21), (12, 0xff, 4, 4), (13, 0xff, 0x53, 0x53),
                                     (14, 0xff, 0x4e, 0x4e), (15, 0xff, 0x49, 0x49), (18, 0xff, 0, 0))))
