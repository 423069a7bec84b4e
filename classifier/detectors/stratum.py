"""Stratum, the pool mining protocol (Stratum V1: slush pool's "Stratum mining
protocol" and the mining.* methods documented with it): newline-delimited JSON-RPC over
TCP.  The miner opens with a request such as

    {"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]}
    (or mining.configure / mining.authorize / mining.extranonce.subscribe first)

and the pool answers {"id": 1, "result": ..., "error": null} and pushes
mining.set_difficulty / mining.notify.  This detector parses the miner's first line as
JSON: an object with an id, a "mining." method and a params list is confidence 1.0;
the pool's first line, when present, must be a JSON object (a result with the same id,
or a mining.* notification).  Metadata: method, agent (the subscribe's first param).
"""
from __future__ import annotations

import json

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

MAX_LINE = 4096


def _line(b: bytes):
    """The first JSON object of `b`, MORE while its line is incomplete, or None."""
    i = b.find(b"\n")
    if i < 0:
        return MORE if len(b) < MAX_LINE and b[:1] == b"{" else None
    try:
        obj = json.loads(b[:i].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO if s else MORE         # the miner speaks first
    req = _line(c)
    if req is None:
        return NO
    if req is MORE:
        return MORE if not s else NO
    method, params = req.get("method"), req.get("params")
    if not (isinstance(method, str) and method.startswith("mining.") and isinstance(params, list)
            and "id" in req):
        return NO
    if s:
        resp = _line(s)
        if resp is None:
            return NO
        if resp is MORE:
            return MORE
        reply = "result" in resp and resp.get("id") == req["id"]
        push = isinstance(resp.get("method"), str) and resp["method"].startswith("mining.")
        if not (reply or push):
            return NO
    agent = params[0] if method == "mining.subscribe" and params and isinstance(params[0], str) else None
    return claim("stratum", 1.0, method=dec(method.encode("utf-8", "replace")),
                 agent=dec(agent.encode("utf-8", "replace")) if agent else None)


SPEC = DetectorSpec(name="stratum", transports=("tcp",), probe=probe, max_bytes=4096, max_packets=3,
                    prefilter=Prefilter(c2s=frozenset(b"{"), s2c=frozenset(b"{")), max_confidence=1.0)
