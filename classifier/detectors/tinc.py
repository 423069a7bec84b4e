"""tinc VPN's meta-connection (TCP, IANA 655; the tinc manual's "Protocol" chapter and
its src/protocol.h): text requests, one per line, each a request number and its
arguments separated by spaces.  Both daemons open with ID, "0 <name> <protocol>",
where protocol is 17 for tinc 1.0 and "17.<minor>" for tinc 1.1, and the node name is
made of letters, digits and underscores.  A tinc 1.0 daemon then sends METAKEY, "1
<cipher> <digest> <MAC length> <compression> <RSA-encrypted key in hex>"; from then on
the connection is encrypted (tinc 1.1 switches to its binary SPTPS handshake instead).

This detector relies on the ID line of each side (0.9 with both; a client ID line
followed by its METAKEY line, 0.85); one ID line alone waits (MORE).
Metadata: client_name, server_name, protocol.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

_ID = re.compile(rb"0 ([A-Za-z0-9_]{1,64}) (\d{1,3}(?:\.\d{1,3})?)\r?\Z")
_METAKEY = re.compile(rb"1 \d{1,5} \d{1,5} \d{1,3} \d{1,2} [0-9A-Fa-f]{32,2048}\r?\Z")
MAX_ID = 96
_PREFIX = re.compile(rb"0( [A-Za-z0-9_]{0,64}( [0-9.]{0,7})?)?\Z")


def _id_line(data: bytes):
    """(name, protocol, rest) for a whole ID line, MORE for a plausible prefix, None."""
    i = data.find(b"\n", 0, MAX_ID)
    if i < 0:
        return MORE if len(data) < MAX_ID and _PREFIX.match(data.rstrip(b"\r")) else None
    m = _ID.match(data[:i])
    if not m:
        return None
    return m.group(1), m.group(2), data[i + 1:]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    ids = []
    for data in (c, s):
        if not data:
            continue
        r = _id_line(data)
        if r is None:
            return NO
        ids.append(r)
    whole = [r for r in ids if r is not MORE]
    if len(whole) == 2:
        (cn, proto, _), (sn, _p, _r) = whole
        return claim("tinc", 0.9, client_name=dec(cn), server_name=dec(sn), protocol=dec(proto))
    if len(whole) == 1 and len(ids) == 1:
        name, proto, rest = whole[0]
        j = rest.find(b"\n", 0, 2200)
        if j >= 0:
            if not _METAKEY.match(rest[:j]):
                return NO
            key = "client_name" if c else "server_name"
            return claim("tinc", 0.85, protocol=dec(proto), **{key: dec(name)})
    return MORE


SPEC = DetectorSpec(name="tinc", transports=("tcp",), probe=probe, max_bytes=2400,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"0"), s2c=frozenset(b"0")),
                    max_confidence=0.9)
