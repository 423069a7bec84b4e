"""WebSocket framing (RFC 6455 5) on a TCP connection seen without its opening HTTP
Upgrade (a capture that started after the handshake; from the start the flow is `http`
with `upgrade` in its metadata).  Each direction is a sequence of frames:

    FIN, RSV1-3, opcode (u8)  | MASK, payload length (u8: 0-125, 126 + u16, 127 + u64)
    | masking key (4, when MASK) | payload

Opcodes 0 (continuation), 1 (text), 2 (binary), 8 (close), 9 (ping), 10 (pong); control
frames are not fragmented and carry at most 125 bytes (5.5); a length uses the fewest
bytes it can (5.2); RSV2 and RSV3 are 0 without an extension, RSV1 only marks a
compressed message's first frame (RFC 7692).  A client masks every frame it sends, a
server masks none (5.1, 5.3).

This detector relies on both directions tiling into such frames from their first byte,
one direction all masked and the other all unmasked (either way round: midstream, the
first sender may be the server), every complete text frame valid UTF-8 once unmasked
(5.6, 8.1), and at least three complete frames in all.  A direction that starts with a
continuation frame is a capture joined mid-message: not judged.  Confidence 0.8 (a
two-byte header, but the tiling, the mask asymmetry and the text make chance unlikely).
Metadata: client_side (the masking direction, c2s or s2c), frames, text (a text frame seen).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

DATA, CONTROL = (1, 2), (8, 9, 10)


def _first_byte_ok(b: int) -> bool:
    op = b & 0x0F
    if op not in DATA + CONTROL or b & 0x30:
        return False                       # an opcode (not a continuation), RSV2/3 clear
    if b & 0x40 and op not in DATA:
        return False                       # RSV1: a compressed message's first frame
    return op in DATA or bool(b & 0x80)    # control frames are never fragmented


FIRST = frozenset(b for b in range(256) if _first_byte_ok(b))


def frames(d: bytes):
    """(complete frames [(opcode, masked)], stopped_mid_frame) of a stream, or None."""
    out, pos = [], 0
    while pos < len(d) and len(out) < 16:
        if len(d) - pos < 2:
            return out, True
        b0, b1 = d[pos], d[pos + 1]
        op = b0 & 0x0F
        if (not out and not _first_byte_ok(b0)) or op not in (0,) + DATA + CONTROL or b0 & 0x30 \
                or (b0 & 0x40 and op not in DATA):
            return None
        n, at = b1 & 0x7F, pos + 2
        if n == 126:
            if len(d) < at + 2:
                return out, True
            n, at = int.from_bytes(d[at:at + 2], "big"), at + 2
            if n < 126:
                return None                # not the fewest bytes
        elif n == 127:
            if len(d) < at + 8:
                return out, True
            n, at = int.from_bytes(d[at:at + 8], "big"), at + 8
            if n < 0x10000 or n >> 63:
                return None
        if op in CONTROL and (n > 125 or not b0 & 0x80):
            return None
        key = None
        if b1 & 0x80:
            if len(d) < at + 4:
                return out, True
            key, at = d[at:at + 4], at + 4
        if at + n > len(d):
            return out, True
        if op == 1 and b0 & 0x80 and not b0 & 0x40:
            body = d[at:at + n]
            if key is not None:
                body = bytes(c ^ key[i & 3] for i, c in enumerate(body))
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                return None                # a whole text message is UTF-8
        out.append((op, key is not None))
        pos = at + n
    return out, False


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    sides = []
    for d in (c, s):
        if not d:
            sides.append(None)
            continue
        r = frames(d)
        if r is None:
            return NO
        sides.append(r)
    masks = []
    for r in sides:
        if r is None or not r[0]:
            masks.append(None)
            continue
        kinds = {m for _op, m in r[0]}
        if len(kinds) != 1:
            return NO                      # one side masks every frame or none
        masks.append(kinds.pop())
    if masks[0] is not None and masks[0] == masks[1]:
        return NO                          # a client masks, a server does not
    if None in masks or sum(len(r[0]) for r in sides) < 3:
        return MORE
    ops = [op for r in sides for op, _m in r[0]]
    return claim("websocket", 0.8, client_side="c2s" if masks[0] else "s2c",
                 frames=len(ops), text=1 in ops)


SPEC = DetectorSpec(name="websocket", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=6, prefilter=Prefilter(c2s=FIRST, s2c=FIRST), max_confidence=0.8)
