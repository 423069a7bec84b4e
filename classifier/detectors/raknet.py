"""RakNet (the UDP game transport of Minecraft Bedrock, Roblox and many engines;
reference: the RakNet sources and wiki.vg's "Raknet Protocol" page).

Two kinds of datagram:

* offline (unconnected) messages, which carry the 16-byte OFFLINE_MESSAGE_DATA_ID
  magic 00 ff ff 00 fe fe fe fe fd fd fd fd 12 34 56 78 at a place fixed by their id:
  right after the id for Open Connection Request/Reply 1 and 2 (0x05-0x08) and the
  refusals (0x14 no free connections, 0x17 banned, 0x1a already connected), after the
  8-byte time for Unconnected Ping (0x01, 0x02), after time and server GUID for
  Unconnected Pong (0x1c, whose u16-prefixed server string ends the datagram), after
  the protocol version for Incompatible Protocol Version (0x19).  A message with a
  non-standard id, or one wrapped in a vendor prefix (Roblox), still carries the magic
  at one of the offsets nDPI's raknet.c looks at for its "custom version" (1, 9 and 17,
  which its comment says Wireshark's RakNet heuristic uses too, and 32, seen in
  Roblox traces): found there it is RakNet at confidence 0.9.  A pong-shaped datagram
  without the magic is not a RakNet message (nDPI's raknet.c names one after three
  datagrams; the specification puts the magic in every offline message).
* connected datagrams: a frame set (first byte 0x80-0x8f, a 24-bit little-endian
  sequence number, then frames: flags (reliability << 5, 0x10 split, low 4 bits zero),
  a 16-bit length in bits, the reliability's 24-bit indexes, the split header, the
  body), or an ACK/NACK (0xc0/0xa0, a 16-bit record count, records: 0x01 + 24-bit
  number or 0x00 + 24-bit range).  Frames and records must fill the datagram exactly.
  Two such datagrams in a flow (nothing else among them) give confidence 0.7, since a
  capture that starts after the handshake has nothing stronger to show; a flow of a
  single such datagram 0.6 (nDPI's raknet.c claims a frame set or an ACK/NACK that
  fills its datagram on its own).

The client's first datagram must be one of these (the probe needs it: a flow whose
client sent nothing is not claimed), which is what the gates check before the call.

Metadata: messages (the offline message names seen, or "frame-set"/"ack"), server_name
(the Unconnected Pong's string, e.g. Minecraft's MOTD record).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

MAGIC = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")

# offline id -> (name, offset of the magic, minimum length)
OFFLINE = {
    0x01: ("unconnected-ping", 9, 25), 0x02: ("unconnected-ping-open", 9, 25),
    0x05: ("open-connection-request-1", 1, 18), 0x06: ("open-connection-reply-1", 1, 28),
    0x07: ("open-connection-request-2", 1, 34), 0x08: ("open-connection-reply-2", 1, 35),
    0x14: ("no-free-incoming-connections", 1, 25), 0x17: ("connection-banned", 1, 25),
    0x19: ("incompatible-protocol-version", 2, 26), 0x1a: ("already-connected", 1, 25),
    0x1c: ("unconnected-pong", 17, 35),
}
WRAPPED_AT = (1, 9, 17, 32)   # raknet.c's is_custom_version: where a wrapped magic sits


def _offline(d: bytes):
    """(name, confidence, server_name) for an offline message, or None."""
    spec = OFFLINE.get(d[0])
    if spec is not None:
        name, at, least = spec
        if len(d) >= least and d[at:at + 16] == MAGIC:
            if d[0] == 0x1c:
                size = int.from_bytes(d[33:35], "big")
                if 35 + size != len(d):
                    return None          # the pong's string ends the datagram
                return name, 1.0, d[35:]
            return name, 1.0, None
    for at in WRAPPED_AT:
        if d[at:at + 16] == MAGIC:
            return "offline-custom", 0.9, None
    return None


def _u24(d: bytes, i: int) -> int:
    return d[i] | d[i + 1] << 8 | d[i + 2] << 16


def _frame_set(d: bytes) -> bool:
    """A frame set whose frames fill the datagram exactly."""
    i, n = 4, len(d)
    if n < 4 + 3 + 1:
        return False
    while i < n:
        if i + 3 > n:
            return False
        flags = d[i]
        if flags & 0x0F:
            return False
        bits = int.from_bytes(d[i + 1:i + 3], "big")
        if bits == 0:
            return False
        rel = flags >> 5
        i += 3
        if rel in (2, 3, 4, 6, 7):
            i += 3                       # reliable message index
        if rel in (1, 4):
            i += 3                       # sequenced index
        if rel in (1, 3, 4, 7):
            i += 4                       # ordered index + channel
        if flags & 0x10:
            if i + 10 > n:
                return False
            count = int.from_bytes(d[i:i + 4], "big")
            index = int.from_bytes(d[i + 6:i + 10], "big")
            if count == 0 or index >= count:
                return False
            i += 10
        i += (bits + 7) // 8
    return i == n


def _ack(d: bytes) -> bool:
    """An ACK/NACK whose records fill the datagram exactly."""
    n = len(d)
    if n < 7:
        return False
    count = int.from_bytes(d[1:3], "big")
    if count == 0:
        return False
    i = 3
    for _ in range(count):
        if i >= n:
            return False
        if d[i] == 0x01:
            i += 4
        elif d[i] == 0x00:
            if i + 7 > n or _u24(d, i + 4) < _u24(d, i + 1):
                return False
            i += 7
        else:
            return False
    return i == n


def _connected(d: bytes):
    if 0x80 <= d[0] <= 0x8f and _frame_set(d):
        return "frame-set"
    if d[0] in (0xa0, 0xc0) and _ack(d):
        return "ack"
    return None


def probe(view, state):
    """Each direction's first datagrams: an offline message is a match; otherwise
    every datagram must be a well-formed connected datagram, two of them at least."""
    dgs = [d for d in view.datagrams_c2s if d]
    if not dgs:
        # the client's first datagram decides (the gates check it): none yet, or only
        # the server's, is not enough
        return NO if any(view.datagrams_s2c) else MORE
    dgs += [d for d in view.datagrams_s2c if d]
    names, server, best, connected = [], None, 0.0, 0
    for d in dgs:
        if len(d) < 7:
            # a prefix of a datagram (the suite's truncation test): the magic's start
            # or an id that a longer datagram could complete
            if d[0] in OFFLINE or 0x80 <= d[0] <= 0x8f or d[0] in (0xa0, 0xc0):
                return MORE if len(dgs) == 1 else NO
            return NO
        off = _offline(d)
        if off is not None:
            name, conf, srv = off
            names.append(name)
            best = max(best, conf)
            server = server or srv
            continue
        kind = _connected(d)
        if kind is None:
            if best:
                break                    # after a handshake, game data may follow
            return NO
        connected += 1
        names.append(kind)
    if not best:
        if connected < 2 and len(dgs) > 1:
            return MORE
        best = 0.7 if connected >= 2 else 0.6
    return claim("raknet", best, messages=list(dict.fromkeys(names)),
                 server_name=dec(server) if server else None)


# The documented first bytes: offline ids, frame sets, ACK/NACK, on either side's first
# datagram.  A wrapped offline message whose first byte is a vendor's (Roblox's 0x7b /
# 0x7e) is therefore not offered to the probe: letting every UDP flow reach it costs
# more probes per flow than tests/detectors/test_engine.py allows.
_FIRST_RANGES = ((0x01, 0x02), (0x05, 0x08), (0x14, 0x14), (0x17, 0x17), (0x19, 0x1a),
                 (0x1c, 0x1c), (0x80, 0x8f), (0xa0, 0xa0), (0xc0, 0xc0))
_FIRST = frozenset(b for lo, hi in _FIRST_RANGES for b in range(lo, hi + 1))
assert _FIRST == set(OFFLINE) | set(range(0x80, 0x90)) | {0xa0, 0xc0}

# On the batch path the gates then check, in compiled code, what the probe needs of the
# client's first datagram: the magic's first eight bytes where an offline message puts
# it (offsets 1, 9 and 17 are also where a wrapped one does, and 32; id 0x19 alone has
# it at 2), or a frame set's first frame flags with the low nibble clear, or an
# ACK/NACK's first record type 0 or 1.  A random datagram passes about 1 in 200 times
# (the first byte alone let 1 in 9 through: a flood's costliest Python call).
_WRAPPED_GATES = tuple(Gate(c2s_only=True, min_len=at + 16,
                            bytes=tuple((at + k, 0xff, MAGIC[k], MAGIC[k]) for k in range(8)))
                       for at in WRAPPED_AT)
assert all(OFFLINE[i][1] in WRAPPED_AT or i == 0x19 for i in OFFLINE)
_ID_GATES = (
    Gate(c2s_only=True, min_len=OFFLINE[0x19][2],
         bytes=((0, 0xff, 0x19, 0x19),) + tuple((2 + k, 0xff, MAGIC[k], MAGIC[k]) for k in range(7))),
    Gate(c2s_only=True, min_len=8, bytes=((0, 0xf0, 0x80, 0x80), (4, 0x0f, 0, 0))),     # frame set
    Gate(c2s_only=True, min_len=7, bytes=((0, 0xff, 0xa0, 0xa0), (3, 0xfe, 0, 0))),     # NACK
    Gate(c2s_only=True, min_len=7, bytes=((0, 0xff, 0xc0, 0xc0), (3, 0xfe, 0, 0))),     # ACK
)
SPEC = DetectorSpec(name="raknet", transports=("udp",), probe=probe, max_bytes=8192,
                    max_packets=4, prefilter=Prefilter(c2s=_FIRST, s2c=_FIRST), max_confidence=1.0,
                    gate=_ID_GATES + _WRAPPED_GATES)
