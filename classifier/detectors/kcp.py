"""KCP (skywind3000/kcp, an ARQ protocol most often carried in UDP, e.g. by kcptun and
many mobile games).  A datagram holds one or more segments, each a 24-byte header then
its data (ikcp.c, ikcp_encode_seg; all integers little endian):

    conv (u32: the conversation id, the same on every segment of a session, both ways)
    cmd  (u8: 81 PUSH data, 82 ACK, 83 WASK window probe, 84 WINS window size)
    frg  (u8: fragments still to come), wnd (u16), ts (u32), sn (u32), una (u32)
    len  (u32: the data's length)

This detector parses every segment of the flow's first datagrams: each has a known
cmd, control segments (ACK, WASK, WINS) carry no data, the lengths chain fills each
datagram exactly, and every segment of the flow carries one conv.  One datagram with
one segment is confidence 0.6 (a command byte and an exact length); two datagrams or
more segments sharing the conv 0.8.  The conversation id is a free 32-bit value, so
no magic is available.
Metadata: conv (hex), commands (names seen).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

CMDS = {81: "push", 82: "ack", 83: "wask", 84: "wins"}
HEADER = 24
MAX_DATA = 1 << 20                     # kcp's mtu is at most a datagram; 1 MiB is lax


def _segments(d: bytes):
    """[(conv, cmd)] for a datagram of whole segments, MORE for a header prefix, or None."""
    n = len(d)
    if n < HEADER:
        if n > 4 and d[4] not in CMDS:
            return None
        return MORE
    out, i = [], 0
    while i < n:
        if i + HEADER > n:
            return None
        cmd = d[i + 4]
        if cmd not in CMDS:
            return None
        size = int.from_bytes(d[i + 20:i + 24], "little")
        if size > MAX_DATA or (cmd != 81 and size):
            return None
        out.append((d[i:i + 4], cmd))
        i += HEADER + size
    return out if i == n else None


def probe(view, state):
    # Any datagram that cannot start a segment makes the answer NO (see the loop below):
    # the client's first one decides most flows without building the lists.
    c = view.datagrams_c2s
    if c and len(c[0]) > 4 and c[0][4] not in CMDS:
        return NO
    dgs = [d for d in c if d] + [d for d in view.datagrams_s2c if d]
    if not dgs:
        return MORE
    convs, cmds, segs = set(), [], 0
    for d in dgs:
        r = _segments(d)
        if r is None:
            return NO
        if r is MORE:
            return MORE if len(dgs) == 1 else NO
        for conv, cmd in r:
            convs.add(conv)
            cmds.append(CMDS[cmd])
        segs += len(r)
    if len(convs) != 1:
        return NO                          # one session, one conversation id
    conf = 0.8 if len(dgs) >= 2 or segs >= 2 else 0.6
    return claim("kcp", conf, conv=int.from_bytes(next(iter(convs)), "little").to_bytes(4, "big").hex(),
                 commands=list(dict.fromkeys(cmds)))


SPEC = DetectorSpec(name="kcp", transports=("udp",), probe=probe, max_bytes=8192,
                    max_packets=2, prefilter=Prefilter(any=True), max_confidence=0.8,
                    # every datagram is whole segments: a 24-byte header, cmd 81..84,
                    # and a data length the datagram holds (the probe sees at most
                    # max_bytes of it), so below 65536: its two high bytes zero
                    gate=Gate(min_len=HEADER, bytes=((4, 0xff, 81, 84), (22, 0xff, 0, 0), (23, 0xff, 0, 0))))
