"""MikroTik Neighbor Discovery Protocol (MNDP), UDP: a RouterOS device (or another
speaker, e.g. MndpTray) broadcasts an announcement of itself; nobody answers it.
Sources: Wireshark epan/dissectors/packet-mndp.c (a 4-byte header, 2 bytes of unknown
use and a 2-byte sequence number, then TLVs of a 2-byte type and a 2-byte length, both
big-endian, until the datagram ends; its test_mndp accepts a datagram of 8 bytes or
more whose bytes 4 and 6 are zero, i.e. the first TLV's type and length are below 256;
types 1 MAC-Address, 5 Identity, 7 Version, 8 Platform, 10 Uptime, 11 Software-ID,
12 Board, 14 Unpack, 15 IPv6-Address), nDPI src/lib/protocols/mikrotik.c (the same
walk from offset 4, reading types 1, 5, 7, 10, 11, 12, 14/15 and 16 Interface name) and
the MikroTik manual (IP / Neighbor discovery: the fields a neighbour shows, 17 being its
IPv4 address, as the public MNDP libraries decode it).

Signature, per datagram: 8 bytes or more; the TLVs tile the datagram exactly (the last
one ends at its last byte); every type is below 256; the known fixed-size ones have
their size (MAC 6, uptime 4, unpack 1, IPv6 16, IPv4 4) and the text ones (identity,
version, platform, software id, board, interface) hold no control bytes; a MAC-Address
TLV and at least three known TLVs in all.  A walk of 2-byte types and lengths that
lands exactly on the datagram's end with such types is not something other payloads
do by chance, but it is one lone broadcast: 0.9.  Every datagram of the flow must be
one; a datagram of fewer than 8 bytes (the header alone, as a discovery request is)
proves nothing either way (MORE).  The flows carry payload only: never the port 5678.
Metadata: identity, version, platform, board (the first announcement's, when present).
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

FIXED = {1: 6, 10: 4, 14: 1, 15: 16, 17: 4}   # MAC, uptime, unpack, IPv6, IPv4
TEXT = {5: "identity", 7: "version", 8: "platform", 11: "software_id", 12: "board", 16: "interface"}
REPORTED = ("identity", "version", "platform", "board")
HEADER = 4          # unknown 2 bytes, sequence number 2 bytes
MIN_LEN = 8         # the header and one TLV header (Wireshark's test_mndp)


def parse(d: bytes):
    """Metadata of one announcement, or None when ``d`` is not one."""
    if len(d) < MIN_LEN or d[4] or d[6]:
        return None                     # Wireshark's test: first type and length < 256
    pos, known, mac, meta = HEADER, 0, False, {}
    while pos < len(d):
        if pos + 4 > len(d):
            return None                 # a TLV header cut by the datagram's end
        t, n = struct.unpack_from(">HH", d, pos)
        pos += 4
        value = d[pos:pos + n]
        if t > 255 or len(value) != n:
            return None                 # no type so high is known; a value past the end
        pos += n
        if t in FIXED:
            if n != FIXED[t]:
                return None
            known += 1
            mac = mac or t == 1
        elif t in TEXT:
            if any(b < 0x20 or b == 0x7F for b in value):
                return None             # names and versions are text
            known += 1
            if TEXT[t] in REPORTED and value:
                meta.setdefault(TEXT[t], dec(value))
    if not mac or known < 3:
        return None
    return meta


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    meta, short = None, False
    for d in units:
        if len(d) < MIN_LEN:
            short = True                # a bare header: no TLV to check yet
            continue
        m = parse(d)
        if m is None:
            return NO
        if meta is None:
            meta = m
    if meta is None or short:
        return MORE
    return claim("mikrotik", 0.9, **meta)


SPEC = DetectorSpec(name="mikrotik", transports=("udp",), probe=probe, max_bytes=1500,
                    max_packets=2, prefilter=Prefilter(any=True), max_confidence=0.9,
                    # the header's first bytes are free (a sequence number); the first
                    # TLV's type and length bytes 4 and 6 are zero in every announcement
                    gate=Gate(min_len=MIN_LEN, bytes=((4, 0xff, 0, 0), (6, 0xff, 0, 0))))
