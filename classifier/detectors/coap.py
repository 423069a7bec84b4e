"""CoAP (RFC 7252) over UDP: version 1, type, token length <= 8, code class 0/2/4/5,
message id, token, options (delta/length nibbles, 15 reserved) and an optional payload
after the 0xFF marker.  Metadata: type, code, uri_path.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match

TYPES = ("CON", "NON", "ACK", "RST")
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
    pos, opt, path = 4 + tkl, 0, []
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
        if opt == 11:
            path.append(dec(dg[pos:pos + length]))
        pos += length
    return {"type": TYPES[(dg[0] >> 4) & 3], "code": f"{cls}.{detail:02d}",
            "uri_path": "/".join(path) if path else None}


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
    # its response make it certain.
    conf = 0.95 if meta.get("uri_path") or n >= 2 else 0.7
    return match("coap", conf, **{k: v for k, v in meta.items() if v is not None})


SPEC = DetectorSpec(name="coap", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0x40, 0x80)),
                                                       s2c=frozenset(range(0x40, 0x80))))
