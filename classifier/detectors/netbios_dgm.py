"""NetBIOS Datagram Service (RFC 1002 4.4) over UDP: message type 0x10-0x16, flags,
id, source IP and port, then (for direct/broadcast datagrams) length, offset and two
encoded names.  Metadata: source_name, destination_name.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim
from ._nbname import decode, encoded_name

TYPES = {0x10: "direct-unique", 0x11: "direct-group", 0x12: "broadcast",
         0x13: "error", 0x14: "query-request", 0x15: "positive-response",
         0x16: "negative-response"}


def parse(dg: bytes):
    if dg[0] not in TYPES:
        return None
    if len(dg) < 14:
        return MORE
    if dg[1] & 0xF0:
        return None                        # flag bits 0-3 (high nibble) are reserved
    if dg[0] in (0x10, 0x11, 0x12):
        n = int.from_bytes(dg[10:12], "big")
        # dgm_length counts from the source name to the end of the user data.
        if n + 14 != len(dg) and dg[1] & 0x02 == 0:
            return None
        a, b = encoded_name(dg, 14), encoded_name(dg, 48)
        if a is False or b is False:
            return None
        if a is None or b is None:
            return MORE
        return {"type": TYPES[dg[0]], "source_name": decode(dg, 14),
                "destination_name": decode(dg, 48)}
    # Error: 11 bytes; query/responses: 10-byte header + one encoded name.
    if dg[0] == 0x13:
        return {"type": TYPES[0x13]} if len(dg) == 11 else None
    return {"type": TYPES[dg[0]]} if len(dg) == 44 and encoded_name(dg, 10) else None


def probe(view, state):
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if dg:
            r = parse(dg)
            if r is None:
                return NO
            if r is MORE:
                return MORE
            return claim("netbios-dgm", 0.95 if "source_name" in r else 0.7, **r)
    return MORE


_HEAD = ((0, 0xff, 0x10, 0x16), (1, 0xf0, 0, 0))
SPEC = DetectorSpec(name="netbios-dgm", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=1, prefilter=Prefilter(c2s=frozenset(TYPES), s2c=frozenset(TYPES)), max_confidence=0.95,
                    # compiled: the first datagram (the client's, else the server's) has
                    # a message type, at least the 14 bytes the probe reads and the
                    # reserved flag bits clear
                    gate=(Gate(c2s_only=True, min_len=14, bytes=_HEAD),
                          Gate(s2c_only=True, min_len=14, bytes=_HEAD)))
