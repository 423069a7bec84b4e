"""Photon (Exit Games' realtime networking, used by Toca Boca and many Unity games;
doc.photonengine.com, "Binary Protocol"): each UDP datagram is a 12-byte header then
commands.

    header   peer id (u16; 0xffff before the server assigned one), CRC/encryption flag
             (u8), command count (u8), sent time (u32), challenge (u32)
    command  type (u8: 1 ack, 2 connect, 3 verify connect, 4 disconnect, 5 ping,
             6 send reliable, 7 send unreliable, 8 send fragment, 9-12 the unsequenced
             and server-time variants), channel (u8), flags (u8), reserved (u8),
             length (u32, the command's header included), reliable sequence (u32),
             then the command's body

All integers big endian.  This detector parses datagrams whose flag is 0 (plain, no
CRC trailer): the commands must number exactly the header's count and their lengths
must fill the datagram exactly; an ack is exactly 20 bytes.  One such datagram is
confidence 0.8 (a count and a length chain that agree); two, or a connect command
(channel 0xff, the client's first), 0.9.  nDPI names this traffic TocaBoca.

A client also pings each region's server on the same UDP port before it connects, to
pick the closest ("Best Region"): Photon Realtime's PhotonPing.cs (class PhotonPing,
PingMono) sends 13 bytes, twelve 0x7d and a random ping id, and the server sends them
back; the client takes a reply of 13 bytes ending with its id.  nDPI's tocaboca.c
claims a datagram of at least 13 bytes opening with eight 0x7d.  This detector claims a
flow whose datagrams are all such pings, exactly 13 bytes (0.9: twelve constant
bytes and the exact size); when both sides are seen the reply must end with a
request's id.
Metadata: commands (the command types seen, by name; "region-ping" for a ping).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

COMMANDS = {1: "ack", 2: "connect", 3: "verify-connect", 4: "disconnect", 5: "ping",
            6: "send-reliable", 7: "send-unreliable", 8: "send-fragment",
            9: "send-unsequenced", 10: "eg-server-time", 11: "send-reliable-unsequenced",
            12: "send-unreliable-unsequenced"}
MAX_COMMANDS = 64
PING_FILL = b"\x7d" * 12      # PhotonPing's PingBytes, before the ping id
PING_LEN = 13


def _datagram(d: bytes):
    """The command names of a plain Photon datagram, MORE for a header prefix, or None."""
    n = len(d)
    if n < 12:
        # a prefix of the header: only the flag and the count are known early
        if n > 2 and d[2] != 0:
            return None
        if n > 3 and not 1 <= d[3] <= MAX_COMMANDS:
            return None
        return MORE
    if d[2] != 0 or not 1 <= d[3] <= MAX_COMMANDS:
        return None
    names, i = [], 12
    for _ in range(d[3]):
        if i + 12 > n:
            return None
        kind, size = d[i], int.from_bytes(d[i + 4:i + 8], "big")
        name = COMMANDS.get(kind)
        if name is None or size < 12 or i + size > n:
            return None
        if kind == 1 and size != 20:
            return None                  # an ack carries the acked sequence and sent time
        if kind == 2 and d[i + 1] != 0xff:
            return None                  # connect is on the "no channel" channel 0xff
        names.append(name)
        i += size
    return names if i == n else None


def _pings(c, s):
    """The answer for a flow opening with a region ping (a 0x7d first byte): every
    datagram a whole 13-byte ping, a reply echoing a request's id."""
    dgs = c + s
    for d in dgs:
        if len(d) > PING_LEN or PING_FILL[:len(d)] != d[:12]:
            return NO
        if len(d) < PING_LEN:
            return MORE if len(dgs) == 1 else NO
    if c and s and not {d[12] for d in s} & {d[12] for d in c}:
        return NO                        # the server echoes the client's id
    return claim("photon", 0.9, commands=["region-ping"])


def probe(view, state):
    """Every datagram of the flow's first ones must be a plain Photon datagram, or
    every one a region ping."""
    c = view.datagrams_c2s
    first = next((d for d in c if d), None) or next((d for d in view.datagrams_s2c if d), b"")
    if first[:1] == b"\x7d" and len(first) <= PING_LEN and first[:12] == PING_FILL[:len(first)]:
        # a region ping (a Photon datagram is 24 bytes at least, whatever its peer id)
        return _pings([d for d in c if d], [d for d in view.datagrams_s2c if d])
    # Any datagram _datagram refuses makes the answer NO (see the loop below): the
    # client's first one decides most flows without building the lists.
    if c and len(c[0]) > 2 and c[0][2] != 0:
        return NO
    dgs = [d for d in c if d] + [d for d in view.datagrams_s2c if d]
    if not dgs:
        return MORE
    names, whole = [], 0
    for d in dgs:
        r = _datagram(d)
        if r is None:
            return NO
        if r is MORE:
            return MORE if len(dgs) == 1 else NO
        names.extend(r)
        whole += 1
    conf = 0.9 if whole >= 2 or "connect" in names else 0.8
    return claim("photon", conf, commands=list(dict.fromkeys(names)))


# No first-byte hint: the peer id opens every datagram, and after the connect a client
# uses the id the server assigned (any value); the server's is 0x0000 but a capture may
# hold only the client's side.
SPEC = DetectorSpec(name="photon", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(any=True), max_confidence=0.9,
                    # every datagram plain (flag 0), 1..64 commands, the first a known
                    # type: a 12-byte header and one 12-byte command at least; or a
                    # region ping, its 0x7d fill
                    gate=(Gate(min_len=24, bytes=((2, 0xff, 0, 0), (3, 0xff, 1, MAX_COMMANDS),
                                                  (12, 0xff, 1, 12))),
                          Gate(min_len=PING_LEN, bytes=tuple((i, 0xff, 0x7d, 0x7d)
                                                             for i in (0, 1, 2, 3, 8, 9, 10, 11)))))
