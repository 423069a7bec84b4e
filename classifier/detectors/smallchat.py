"""SmallChat (IANA 4412/udp): a peer-to-peer UDP chat whose PDUs carry a chat ID and a
three-letter type -- HLO (hello), ACK, LEV (leave), MSG, BAD, CNF.

No public specification of the byte layout was available to us, so this detector
assumes only what the registration states: each datagram holds one of the six type
tokens at a fixed offset (a fixed-size chat ID before it, or the type first), and the
datagrams of one flow share the same chat ID bytes.  It therefore needs the token at
the SAME offset in every datagram, and, when the ID precedes the type, the same ID.
Metadata: types seen, chat_id (hex).
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

TYPES = (b"HLO", b"ACK", b"LEV", b"MSG", b"BAD", b"CNF")
MAX_OFFSET = 24


# _offsets(datagram) -> the offsets (at most MAX_OFFSET) where a type token stands
# alone, not inside a longer upper-case word.  Compiled: smallchat.pxi.
def _offsets(dg: bytes) -> set:
    return _fast.smallchat_offsets(dg, MAX_OFFSET)


# probe(view, state): the first 4 datagrams of each side all carry a type token at one
# common offset (the smallest is the type field); before it, the chat id, the same in
# every datagram (0.9 with two datagrams or more); a single datagram is never enough
# (a token turns up in random bytes a few times per million datagrams): MORE.
# Metadata: types, chat_id (hex).  Compiled: smallchat.pxi.
probe = _fast.smallchat_probe


SPEC = DetectorSpec(name="smallchat", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(any=True), max_confidence=0.9,
                    gate=Gate(units=2))          # a single datagram is never enough
