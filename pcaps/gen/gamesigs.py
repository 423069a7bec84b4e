"""Game and application traffic that only another tool's signature describes (ZUG,
League of Legends: Wild Rift, Activision's Call of Duty sessions, Call of Duty: Mobile),
spec-built: nothing installable here speaks them (they are closed games and services,
and nothing public describes their payload beyond the constants nDPI's dissectors
check, which each detector module cites), so each exchange carries those constants at
the sizes and places the dissectors name, with seeded random bytes everywhere else,
and pcaps/gen/peers/spec_peer.py plays both sides on loopback.  The manifest says so:
server and client software "spec-built-python", the variant names what the exchange
shows.

None of these has an IANA registration (the games' servers pick their ports), so both
captures of each protocol come from the random-port run, one per variant.
``pcaps/generate --only gamesigs`` rewrites all of them.
"""

from __future__ import annotations

import random
import struct

from .core import spec_exchange

NAME = "gamesigs"
MODES = ("random",)
RNG = random.Random(1814)


def rb(n: int) -> bytes:
    return bytes(RNG.randrange(256) for _ in range(n))


# ----------------------------------------------------------------- ZUG (zug.c)
def _zug(size: int) -> bytes:
    # u16 length of the whole datagram, "UG", 0x10, opaque body
    return struct.pack(">H", size) + b"UG\x10" + rb(size - 5)


def zug(variant):
    if variant == 0:
        return [("c", _zug(122)), ("c", _zug(122))]
    return [("c", _zug(410))]


# ------------------------------------------------ LoL: Wild Rift (lol_wild_rift.c)
def lolwildrift(variant):
    if variant == 0:
        # the match session's first two datagrams: 69-byte request, 359-byte response
        return [("c", b"\x04\x00\x00\x00" + rb(65)), ("s", b"\x10\x00\x00\x00" + rb(355))]
    # keepalives: 22 bytes, 01 02 c8 41 ... "A0B1"
    return [("c", b"\x01\x02\xc8\x41" + rb(14) + b"A0B1"), ("c", b"\x01\x02\xc8\x41" + rb(14) + b"A0B1")]


# ---------------------------------------------------- Activision (activision.c)
def activision(variant):
    # one side opens 0c 02 then sends 0x29 datagrams, the other 0d 02 then 0x28
    mine, theirs = (b"\x0c\x02", b"\x0d\x02") if variant == 0 else (b"\x0d\x02", b"\x0c\x02")
    later = {b"\x0c\x02": b"\x29", b"\x0d\x02": b"\x28"}
    opening = rb(27)
    steps = [("c", mine + opening), ("s", theirs + opening)]
    for _ in range(3):
        steps += [("c", later[mine] + rb(17)), ("s", later[theirs] + rb(26))]
    return steps


# ---------------------------------------------- Call of Duty: Mobile (cod_mobile.c)
def codmobile(variant):
    loadouts = b"\xce" + rb(146) + b"LOC_PREFAB_LOADOUTNAME_1" + rb(300)
    if variant == 0:
        return [("c", b"\x09" + rb(181)), ("s", b"\x0e\x02" + rb(6)), ("s", loadouts)]
    return [("c", b"\x09" + rb(181)), ("s", loadouts)]


EXCHANGES = [
    ("zug", zug, ("two 122-byte datagrams of the length-prefixed 'UG' 0x10 header",
                  "one 410-byte datagram of that header")),
    ("lolwildrift", lolwildrift, ("the match start: 69-byte 04000000 request, 359-byte 10000000 response",
                                  "two 22-byte keepalives (01 02 c8 41 ... 'A0B1')")),
    ("activision", activision, ("the client opens 0c 02, the server 0d 02, then 0x29 / 0x28 datagrams",
                                "the client opens 0d 02, the server 0c 02, then 0x28 / 0x29 datagrams")),
    ("codmobile", codmobile, ("a client datagram, two server datagrams, the second (0xce) holding the loadout key",
                              "a client datagram and the server's 0xce datagram holding the loadout key")),
]
PREFIXES = tuple(p for p, *_ in EXCHANGES)


def run(ctx):
    for proto, build, what in EXCHANGES:
        for variant in (0, 1):
            spec_exchange(ctx, proto, "udp", ctx.port(None, "udp"), build(variant), f"{proto}-{variant}.json",
                          f"spec-built: {what[variant]}")
