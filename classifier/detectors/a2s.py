"""Steam / Source engine server queries, A2S (Valve Developer Wiki, "Server queries"):
connectionless UDP packets behind a 0xFFFFFFFF simple-packet header.

    A2S_INFO     FF FF FF FF 'T' "Source Engine Query" NUL [challenge (4)]
    A2S_PLAYER   FF FF FF FF 'U' challenge (4)      A2S_RULES  FF FF FF FF 'V' challenge (4)
    answers      FF FF FF FF 'I' (info: protocol, then NUL-terminated name, map, ...),
                 'A' + challenge (4) (S2C_CHALLENGE), 'D' (players), 'E' (rules),
                 or the split-packet header FF FF FF FE

The A2S_INFO request's fixed string is confidence 1.0; a PLAYER/RULES request of its
exact size answered by a challenge or a reply of its kind 0.9.
Metadata: query (info, player, rules), answer (info, challenge, player, rules, split).
"""
from __future__ import annotations

from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, claim

SIMPLE = b"\xff\xff\xff\xff"
INFO = SIMPLE + b"TSource Engine Query\x00"
QUERIES = {0x54: "info", 0x55: "player", 0x56: "rules"}
ANSWERS = {0x49: "info", 0x41: "challenge", 0x44: "player", 0x45: "rules"}


def _query(d: bytes):
    if len(d) < len(INFO):
        if INFO.startswith(d) or 5 <= len(d) < 9 and d[:4] == SIMPLE and d[4] in (0x55, 0x56):
            return MORE
        return None
    if d.startswith(INFO) and len(d) in (len(INFO), len(INFO) + 4):
        return "info"
    return None


def _answer(d: bytes):
    if len(d) >= 5 and d[:4] == SIMPLE:
        kind = ANSWERS.get(d[4])
        if kind == "challenge" and len(d) != 9:
            return None
        return kind
    if d[:4] == b"\xff\xff\xff\xfe" and len(d) > 12:
        return "split"
    return None


def probe(view, state):
    c, s = _units.nonempty(view)
    if not c:
        return NO if s else MORE         # the querier speaks first
    d = c[0]
    query = _query(d)
    if query is MORE:
        return MORE if len(c) == 1 and not s else NO
    if query is None:
        # PLAYER / RULES: exactly the header, the type and a 4-byte challenge
        if len(d) == 9 and d[:4] == SIMPLE and d[4] in (0x55, 0x56):
            if not s:
                return MORE
            answer = _answer(s[0])
            if answer not in ("challenge", QUERIES[d[4]], "split"):
                return NO
            return claim("a2s", 0.9, query=QUERIES[d[4]], answer=answer)
        return NO
    answer = _answer(s[0]) if s else None
    if s and answer is None:
        return NO
    return claim("a2s", 1.0, query=query, answer=answer)


SPEC = DetectorSpec(name="a2s", transports=("udp",), probe=probe, max_bytes=2048, max_packets=1,
                    prefilter=Prefilter(c2s=frozenset((0xff,)), s2c=frozenset((0xff,))), max_confidence=1.0)
