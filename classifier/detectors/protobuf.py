"""Protocol Buffers messages written raw on a TCP connection, one message per write
(the binary wire format of protobuf.dev, "Encoding"; nDPI's protobuf.c names such
flows "Protobuf" from the same structure).

A message is a sequence of fields, each a key and a value (Encoding, "Message
Structure"): the key is a varint, (field number << 3) | wire type; the wire types are
VARINT (0), I64 (1), LEN (2: a varint length, then that many bytes), SGROUP/EGROUP
(3, 4: deprecated) and I32 (5).  Nothing marks the start of a message or says which
schema it has, so this detector is a statistical one and asks for the whole structure
over every message it sees:

* every key is a canonical varint of at most 5 bytes (a 32-bit key), its wire type
  one of 0, 1, 2, 5 (groups are deprecated: nDPI's protobuf.c refuses them too), its
  field number 1 .. 2**29-1 and not in 19000-19999, the range the implementation
  reserves ("Field Numbers" in the language guide);
* every value is complete: a VARINT at most 10 bytes, canonical (no redundant 0x80
  groups, as every encoder writes them: Encoding, "Base 128 Varints"); a LEN length
  of at least 1 (nDPI's rule too) whose bytes lie within the data;
* field numbers never decrease within a message: protoc-generated serializers write
  known fields in ascending field-number order (Java's Writer.FieldOrder.ASCENDING,
  Square Wire's encodeInTagOrder "gives the same bytes as protoc"), repeated fields
  consecutively;
* a message ends where a TCP segment ends on a field boundary (the sender writes one
  message per write; pkt_sizes gives the segment sizes); a message may run over
  several segments.  A newline (0x0a) after a complete message is a delimiter, not
  a field, where it ends the segment or the data, or where field 1 could not follow
  the message's last field: senders that delimit messages by lines write it, and a
  stream replayed without its segment sizes still shows where such messages end.  (0x0a is also the key of field 1 with wire type LEN; nDPI's protobuf.c
  accepts a LEN key whose length lies beyond the packet, so it names such messages
  too.)

It claims, at 0.6, once at least 8 fields have parsed, one message has two or more,
and nothing broke a rule in either direction; it waits (MORE) below that.  The
prefilter takes the one-byte keys of fields 1-15 with a valid wire type: a message's
first field, in ascending order, is one of them unless fields 1-15 are all absent.
TCP only: on UDP nothing here separates a datagram from random bytes well enough.
Metadata: messages (complete messages parsed), fields (fields parsed).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

VARINT, I64, LEN, I32 = 0, 1, 2, 5
NEWLINE = 0x0A              # also the key of field 1, LEN
MAX_FIELD = (1 << 29) - 1
RESERVED_LO, RESERVED_HI = 19000, 19999
MIN_FIELDS = 8              # fields parsed before a claim
CONFIDENCE = 0.6

_BAD, _CUT = -1, -2         # _varint's failures: a broken rule; the data ends inside


def _varint(b: bytes, i: int, end: int, maxlen: int):
    """(value, next offset), or (_BAD, 0) / (_CUT, 0)."""
    v = shift = 0
    for k in range(maxlen):
        if i + k >= end:
            return _CUT, 0
        x = b[i + k]
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            if k and not x:             # a redundant high group: no encoder writes it
                return _BAD, 0
            return v, i + k + 1
    return _BAD, 0


def _bounds(view, direction: int, n: int) -> set:
    """Offsets in this direction's bytes where a TCP segment ended (below n)."""
    out, pos = set(), 0
    for d, sz in zip(view.pkt_dirs, view.pkt_sizes):
        if d == direction and sz:
            pos += sz
            if pos >= n:
                break
            out.add(pos)
    return out


def _parse(data: bytes, bounds: set):
    """(fields, messages, widest message) for one direction, or None when a rule breaks.
    A field cut by the end of the data is a prefix: parsing stops there."""
    n = len(data)
    i = fields = messages = widest = in_msg = last = 0
    while i < n:
        key, j = _varint(data, i, n, 5)
        if key == _CUT:
            break
        if key == _BAD or key > 0xFFFFFFFF:
            return None
        wire, number = key & 7, key >> 3
        if wire not in (VARINT, I64, LEN, I32) or not 1 <= number <= MAX_FIELD:
            return None
        if key == NEWLINE and in_msg and (j in bounds or j == n or number < last):
            # a newline after a message: it ends a segment, or the data, or it cannot
            # be a field of this message (field 1 after a higher one; see the docstring)
            messages += 1
            widest = max(widest, in_msg)
            i, in_msg, last = j, 0, 0
            continue
        if RESERVED_LO <= number <= RESERVED_HI or number < last:
            return None
        if wire == VARINT:
            _v, j = _varint(data, j, n, 10)
            if _v == _CUT:
                break
            if _v == _BAD or _v >> 64:
                return None
        elif wire == LEN:
            size, j = _varint(data, j, n, 5)
            if size == _CUT:
                break
            if size == _BAD or size < 1:
                return None
            j += size
        else:
            j += 8 if wire == I64 else 4
        if j > n:
            break                       # the value runs past what was seen
        fields += 1
        in_msg += 1
        last = number
        i = j
        if i in bounds:                 # the segment ends on a field boundary
            messages += 1
            widest = max(widest, in_msg)
            in_msg, last = 0, 0
    if in_msg and i == n:
        messages += 1
        widest = max(widest, in_msg)
    return fields, messages, widest


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    fields = messages = widest = 0
    for direction, data in ((0, c), (1, s)):
        if not data:
            continue
        r = _parse(data, _bounds(view, direction, len(data)))
        if r is None:
            return NO
        fields += r[0]
        messages += r[1]
        widest = max(widest, r[2])
    if fields >= MIN_FIELDS and widest >= 2:
        return claim("protobuf", CONFIDENCE, messages=messages, fields=fields)
    return MORE


# One-byte keys of fields 1-15 with wire type 0, 1, 2 or 5.
_FIRST = frozenset(k for k in range(0x08, 0x80) if k & 7 in (VARINT, I64, LEN, I32))

SPEC = DetectorSpec(name="protobuf", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=8, prefilter=Prefilter(c2s=_FIRST, s2c=_FIRST),
                    max_confidence=CONFIDENCE)
