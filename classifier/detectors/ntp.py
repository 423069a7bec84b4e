"""NTP (RFC 5905, and v1-v3) over UDP: 48-byte header (optionally extension fields or a
MAC), byte 0 = leap(2) version(3) mode(3).  Modes 6/7 (control / ntpdc) have their own
small headers.  Metadata: version, mode, stratum.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match, parse_units

MODES = {1: "symmetric-active", 2: "symmetric-passive", 3: "client", 4: "server",
         5: "broadcast", 6: "control", 7: "private"}


def parse(dg: bytes):
    b0 = dg[0]
    ver, mode = (b0 >> 3) & 7, b0 & 7
    if ver < 1 or ver > 4 or mode == 0:
        return None
    if mode == 6:
        # Control: op code byte, sequence, status, association id, offset, count.
        if len(dg) < 12:
            return MORE
        count = int.from_bytes(dg[10:12], "big")
        body = 12 + ((count + 3) & ~3)
        # Header + padded data, optionally a MAC (key id + MD5/SHA-1 digest).
        if len(dg) not in (body, body + 20, body + 24) or count > 468 or not 1 <= dg[1] & 0x1F <= 31:
            return None
        return {"version": ver, "mode": MODES[6]}
    if mode == 7:
        # ntpdc: implementation 0/2/3, request code < 64, item count/size in range,
        # and a header (8 bytes) + items that fit the datagram.
        if len(dg) < 8:
            return MORE
        items = int.from_bytes(dg[4:6], "big") & 0x0FFF
        size = int.from_bytes(dg[6:8], "big") & 0x0FFF
        if dg[2] not in (0, 2, 3) or dg[3] > 63 or 8 + items * size > len(dg):
            return None
        return {"version": ver, "mode": MODES[7]}
    if len(dg) < 48:
        return MORE
    # 48 bytes, optionally followed by a MAC (key id + 16/20 byte digest) or RFC 7822
    # extension fields; either way a multiple of 4.
    if len(dg) > 48 and (len(dg) - 48) % 4:
        return None
    if len(dg) > 72 and ver < 4 or len(dg) > 1024:
        return None                       # v1-v3 allow only a MAC after the header
    stratum, poll = dg[1], dg[2]
    if stratum > 16 and not (mode == 3 and stratum == 0):
        return None                       # 0 = kiss/unspecified, 16 = unsynchronised
    if 17 < poll < 0xF0 and poll != 0:
        return None                       # log2 seconds: small, rarely negative
    # Root delay and root dispersion are 16.16 fixed-point seconds: real clocks report
    # well under 256 s; random bytes would need two leading zero bytes by chance.
    if dg[4] or dg[8]:
        return None
    return {"version": ver, "mode": MODES[mode], "stratum": stratum}


def probe(view, state):
    meta = parse_units(list(view.datagrams_c2s) + list(view.datagrams_s2c), parse)
    if meta is NO or meta is MORE:
        return meta
    if meta is None:
        return MORE
    return match("ntp", 0.9 if meta["mode"] in ("client", "server", "symmetric-active",
                                                "symmetric-passive", "broadcast") else 0.5, **meta)


def _first_bytes():
    return frozenset(b for b in range(256) if 1 <= (b >> 3) & 7 <= 4 and b & 7)


SPEC = DetectorSpec(name="ntp", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=_first_bytes(), s2c=_first_bytes()), max_confidence=0.9)
