"""Telnet (RFC 854): option negotiation -- IAC (0xFF) followed by WILL/WONT/DO/DONT
(0xFB-0xFE) and an option code, or a sub-negotiation IAC SB ... IAC SE.  Sessions
without negotiation are plain text and not recognisable.  Metadata: options.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

IAC, SB, SE = 0xFF, 0xFA, 0xF0


def negotiation(data: bytes):
    """Options negotiated at the start of data, None if not telnet, MORE if short."""
    opts, pos = [], 0
    while pos < len(data) and data[pos] == IAC:
        if pos + 1 >= len(data):
            return MORE
        cmd = data[pos + 1]
        if 0xFB <= cmd <= 0xFE:
            if pos + 2 >= len(data):
                return MORE
            opts.append(data[pos + 2])
            pos += 3
        elif cmd == SB:
            end = data.find(bytes((IAC, SE)), pos + 2)
            if end < 0:
                return MORE if len(data) < 512 else None
            opts.append(data[pos + 2] if pos + 2 < len(data) else None)
            pos = end + 2
        elif 0xF1 <= cmd <= 0xF9:
            pos += 2                       # NOP, DM, BRK, IP, AO, AYT, EC, EL, GA
        else:
            return None                   # IAC followed by a byte that is no telnet command
    if not opts:
        return None                       # IAC alone (e.g. binary data starting 0xff)
    # Option codes in use are small (0-50 and 255 EXOPL); others are noise.
    if any(o is not None and 50 < o < 255 for o in opts):
        return None
    return opts


def probe(view, state):
    found, more = None, False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if data[0] != IAC:
            continue
        r = negotiation(data)
        if r is MORE:
            more = True
        elif r is None:
            return NO                     # a direction that starts with IAC must negotiate
        else:
            found = (found or []) + r
    if found:
        return claim("telnet", 0.95 if len(found) >= 2 else 0.8,
                     options=sorted(set(o for o in found if o is not None))[:16])
    return MORE if more else NO


SPEC = DetectorSpec(name="telnet", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((IAC,)), s2c=frozenset((IAC,))), max_confidence=0.95)
