"""HL7 version 2 messages over MLLP (the Minimal Lower Layer Protocol of HL7 v2's
transport specification): each message is framed by a start byte 0x0B and ended by
0x1C 0x0D; inside, segments are separated by CR and the first is the message header
"MSH", whose fourth byte is the field separator (normally "|") and whose next field
holds the four encoding characters ("^~\\&").  Both the sender's message and the
receiver's acknowledgement (an ACK message) are so framed.
Metadata: message_type (MSH-9), version (MSH-12).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec


def _msg(d: bytes):
    head = b"\x0bMSH"
    if not d.startswith(head[:len(d)]):
        return None
    if len(d) < 9:
        return MORE
    sep = d[4:5]
    enc = d[5:9]
    if sep.isalnum() or sep in b"\r\n " or len(set(enc)) != 4 or sep[0] in enc \
            or any(bytes([ch]).isalnum() or ch in b"\r\n " for ch in enc):
        return None
    cr = d.find(b"\r", 4)
    if cr < 0:
        return MORE if len(d) < 2048 else None
    fields = d[4:cr].split(sep)
    # MSH-1 is the separator itself, so MSH-n is fields[n - 1]
    meta = {}
    if len(fields) > 8:
        meta["message_type"] = dec(fields[8].replace(enc[:1], b"^"))
    if len(fields) > 11:
        meta["version"] = dec(fields[11].split(enc[:1])[0])
    return meta


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    meta = None
    for d in (c, s):
        if not d:
            continue
        m = _msg(d)
        if m is None:
            return NO
        if m is MORE:
            return MORE
        meta = meta if meta is not None else m
    if meta is None:
        return MORE
    return claim("hl7", 0.95, **meta)


SPEC = DetectorSpec(name="hl7", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset({0x0b}), s2c=frozenset({0x0b})),
                    max_confidence=0.95)
