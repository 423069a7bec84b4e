"""CoAP (RFC 7252) over UDP: version 1, type, token length <= 8, code class 0/2/4/5,
message id, token, options (delta/length nibbles, 15 reserved) and an optional payload
after the 0xFF marker.  Metadata: type, code, uri_path.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match

TYPES = ("CON", "NON", "ACK", "RST")
# Registered option numbers (RFC 7252 12.2, 7641, 7959, 8613, 9175).
OPTIONS = frozenset((1, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39,
                     60, 258, 292, 2049, 2050, 2051, 2052))
CODES = frozenset([0] + [(0 << 5) | d for d in range(1, 8)]
                  + [(2 << 5) | d for d in (1, 2, 3, 4, 5, 31)]
                  + [(4 << 5) | d for d in (0, 1, 2, 3, 4, 5, 6, 8, 12, 13, 15, 29)]
                  + [(5 << 5) | d for d in range(0, 6)])


def parse(dg: bytes):
    if dg[0] >> 6 != 1:
        return None
    tkl = dg[0] & 0x0F
    if tkl > 8:
        return None                       # token lengths 9-15 are reserved
    if len(dg) < 4 + tkl:
        return MORE
    code = dg[1]
    cls, detail = code >> 5, code & 0x1F
    if code not in CODES:
        return None                       # only registered codes (RFC 7252 12.1, 7959, 8132)
    if code == 0 and (tkl or len(dg) != 4):
        return None                       # the Empty message is exactly 4 bytes
    pos, opt, path, unknown, texts = 4 + tkl, 0, [], 0, 0
    while pos < len(dg):
        b = dg[pos]
        if b == 0xFF:
            if pos + 1 == len(dg):
                return None               # a payload marker must be followed by payload
            break
        delta, length = b >> 4, b & 0x0F
        if delta == 15 or length == 15:
            return None
        pos += 1
        if delta == 13:
            delta = 13 + dg[pos]; pos += 1
        elif delta == 14:
            delta = 269 + int.from_bytes(dg[pos:pos + 2], "big"); pos += 2
        if length == 13:
            length = 13 + dg[pos]; pos += 1
        elif length == 14:
            length = 269 + int.from_bytes(dg[pos:pos + 2], "big"); pos += 2
        if pos + length > len(dg):
            return None
        opt += delta
        if opt not in OPTIONS:
            unknown += 1
        if length and all(32 <= b < 127 for b in dg[pos:pos + length]):
            texts += 1
        if opt == 11:
            path.append(dec(dg[pos:pos + length]))
        pos += length
    return {"type": TYPES[(dg[0] >> 4) & 3], "code": f"{cls}.{detail:02d}",
            "uri_path": "/".join(path) if path else None, "_unknown": unknown, "_texts": texts,
            "_options": opt > 0}


def probe(view, state):
    meta = None
    n = 0
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if not dg:
            continue
        try:
            r = parse(dg)
        except IndexError:
            return NO
        if r is None:
            return NO
        if r is MORE:
            return MORE
        n += 1
        meta = meta or r
    if meta is None:
        return MORE
    # A 4-byte header is little evidence; a request with a Uri-Path or a request and
    # its response make it certain.  A lone datagram must at least use only
    # registered option numbers, and some, or carry two or more text options (paths,
    # hosts, queries): random bytes rarely manage either.
    if n < 2 and (meta["_unknown"] or not meta["_options"]) and meta["_texts"] < 2:
        return MORE
    conf = 0.95 if meta.get("uri_path") or n >= 2 else 0.7
    return match("coap", conf, **{k: v for k, v in meta.items()
                                  if v is not None and not k.startswith("_")})


SPEC = DetectorSpec(name="coap", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0x40, 0x80)),
                                                       s2c=frozenset(range(0x40, 0x80))), max_confidence=0.95)
