"""Call of Duty: Mobile: its UDP game data as nDPI's cod_mobile.c reads it (Activision and
TiMi publish no description of the protocol).

cod_mobile.c names a flow when, among its first four packets, one datagram longer than
350 bytes opens with 0xce and holds the string "LOC_PREFAB_LOADOUTNAME_1" (the game's
localisation key of a player's first loadout name, sent with the loadouts when a match
is set up).  Its other rule, a 12-byte datagram with "ping" at offset 8, holds only
because it also requires port 7500; without the port four letters say too little, so
it is left out here.

This detector claims a flow where a datagram among the first four of either side is
longer than 350 bytes, opens with 0xce and holds that string (0.9: a 24-byte key of
the game's own).  It needs a second datagram in the flow as well (the loadouts come
after the session's first exchange), so that its gate can skip single-datagram flows
without calling it.
Metadata: sent_by (the side whose datagram held the key: "server" or "client").
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

KEY = b"LOC_PREFAB_LOADOUTNAME_1"
MIN_LEN = 351                        # cod_mobile.c: payload_packet_len > 350
FIRST = 0xce
WINDOW = 4                           # cod_mobile.c gives up at its fourth packet


def probe(view, state):
    c, s = _units.nonempty(view)
    for side, dgs in (("client", c), ("server", s)):
        for d in dgs[:WINDOW]:
            if len(d) >= MIN_LEN and d[0] == FIRST and KEY in d:
                return claim("codmobile", 0.9, sent_by=side) if len(c) + len(s) >= 2 else MORE
    # not yet: the engine ends the wait when the packet budget (WINDOW per side) is spent
    return MORE if len(c) < WINDOW or len(s) < WINDOW else NO


# No first-byte hint: the datagram that names the game may be any of the first four.
# The gate skips flows of a single datagram (the probe needs two).
SPEC = DetectorSpec(name="codmobile", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=WINDOW, prefilter=Prefilter(any=True), max_confidence=0.9,
                    gate=Gate(units=2))
