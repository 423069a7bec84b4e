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
from .base import MORE, NO, DetectorSpec, Prefilter, match

TYPES = (b"HLO", b"ACK", b"LEV", b"MSG", b"BAD", b"CNF")
MAX_OFFSET = 24


# _offsets(datagram) -> the offsets (at most MAX_OFFSET) where a type token stands
# alone, not inside a longer upper-case word.  Compiled: _fast_udp.pxi.
def _offsets(dg: bytes) -> set:
    return _fast.smallchat_offsets(dg, MAX_OFFSET)


def probe(view, state):
    dgs = [d for d in list(view.datagrams_c2s[:4]) + list(view.datagrams_s2c[:4]) if d]
    if not dgs:
        return MORE
    common = None
    for dg in dgs:
        offs = _offsets(dg)
        if not offs:
            # Cut by the byte budget before the type field could appear: wait.
            return NO if len(dg) >= MAX_OFFSET + 3 else MORE
        common = offs if common is None else common & offs
        if not common:
            return NO                      # the type sits at one fixed offset
    k = min(common)
    ids = {dg[:k] for dg in dgs} if k else {dg[3:11] for dg in dgs}
    types = sorted({dg[k:k + 3].decode() for dg in dgs})
    if len(dgs) >= 2:
        if k and len(ids) != 1:
            return NO                      # one flow = one chat: the ID never changes
        return match("smallchat", 0.9, types=types, chat_id=(dgs[0][:k] or dgs[0][3:11]).hex())
    # One datagram: plausible only if it opens a conversation (HLO) or is a message.
    if types[0] in ("HLO", "MSG", "CNF"):
        return match("smallchat", 0.6, types=types, chat_id=(dgs[0][:k] or dgs[0][3:11]).hex())
    return MORE


SPEC = DetectorSpec(name="smallchat", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(any=True), max_confidence=0.9)
