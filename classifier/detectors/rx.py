"""AFS Rx (the Rx RPC protocol of AFS / OpenAFS; its header rx_header in rx/rx_packet.h,
as Wireshark's packet-rx.c dissects it): every datagram opens with a 28-byte header:
epoch, connection id (its low 2 bits the channel), call number, sequence number,
serial number, packet type (1 data .. 13 version), flags (bit 0 client-initiated),
user status, security index (0 null, 1 rxvab, 2 rxkad, 3 rxgk), a spare/checksum word
and the service id.  Nothing fixed is longer than a byte, so this detector relies on
consistency across datagrams: every one a valid header and, within each connection
(epoch and cid without its channel bits; one UDP flow may carry calls both ways, e.g.
AFS callbacks), the client-initiated bit constant per direction and opposite between
the two; the first sender is a call's client (its bit set); each packet of a connection
and direction has a higher serial number than the one before.  Two datagrams of one connection are needed; both directions of one give 0.8.
Metadata: service_id, types (packet types seen).
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

TYPES = {1: "data", 2: "ack", 3: "busy", 4: "abort", 5: "ackall", 6: "challenge",
         7: "response", 8: "debug", 9: "params", 13: "version"}


def _header(d: bytes):
    if len(d) < 28:
        return None
    epoch, cid, call, seq, serial, ptype, flags, _us, sec, _spare, service = \
        struct.unpack_from(">IIIIIBBBBHH", d, 0)
    if ptype not in TYPES or sec > 3 or epoch == 0 or serial == 0 or flags & 0xc0:
        return None
    if ptype == 1 and (seq == 0 or call == 0):
        return None                   # data packets of a call count from 1
    return epoch, cid >> 2, flags & 1, ptype, service, serial


def probe(view, state):
    groups = {}                       # (epoch, connection) -> [client bits c2s, s2c]
    serials = {}                      # (epoch, connection, direction) -> last serial
    allh = []
    for direction, dgs in enumerate((view.datagrams_c2s, view.datagrams_s2c)):
        for d in dgs:
            if not d:
                continue
            if len(d) < 28:
                return MORE           # shorter than the header: too little to tell
            h = _header(d)
            if h is None:
                return NO
            if not allh and not h[2]:
                return NO             # the first sender starts a call: it is its client
            key = (h[0], h[1], direction)
            if serials.get(key, -1) >= h[5]:
                return NO             # a connection numbers its packets upwards
            serials[key] = h[5]
            allh.append(h)
            g = groups.setdefault((h[0], h[1]), (set(), set()))
            g[direction].add(h[2])
    if len(allh) < 2:
        return MORE
    paired = False
    for c2s, s2c in groups.values():
        if len(c2s) > 1 or len(s2c) > 1 or (c2s and s2c and c2s == s2c):
            return NO                 # within a connection the client-initiated bit marks a side
        paired = paired or bool(c2s and s2c)
    if not paired and len(groups) == len(allh):
        return MORE                   # no two datagrams of one connection yet
    types = ",".join(dict.fromkeys(TYPES[h[3]] for h in allh))
    service = next((h[4] for h in allh if h[3] == 1), allh[0][4])
    return claim("rx", 0.8 if paired else 0.6, service_id=service, types=types)


SPEC = DetectorSpec(name="rx", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(any=True), max_confidence=0.8,
                    # two datagrams at least, each a whole header: packet type 1..13,
                    # flags' top bits clear, security index <= 3 (_header)
                    gate=Gate(units=2, min_len=28,
                              bytes=((20, 0xff, 1, 13), (21, 0xc0, 0, 0), (23, 0xff, 0, 3))))
