"""NATS client protocol (docs.nats.io, "Client Protocol"): the server speaks first with
"INFO {...}" (a JSON object naming server_id, version, ...) ended by CR LF; the client
answers "CONNECT {...}" (verbose, pedantic, name, lang, version, ...), then PUB / SUB /
PING lines.  Both the INFO and the CONNECT line must hold a JSON object.
Metadata: server_version, client_lang.
"""
from __future__ import annotations

import json

from .base import MORE, NO, DetectorSpec, Prefilter, claim

MAX_LINE = 4096


def _line(d: bytes, verb: bytes):
    """The JSON object of the first line if it is ``verb {...}``, MORE, or None."""
    head = verb + b" "
    if not d.startswith(head[:len(d)]):
        return None
    end = d.find(b"\r\n")
    if end < 0:
        return MORE if len(d) < MAX_LINE else None
    body = d[len(head):end].strip()
    if not body.startswith(b"{"):
        return None
    try:
        obj = json.loads(body)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _text(v):
    """A JSON value as short metadata text (None when absent)."""
    return str(v)[:64] if v is not None and not isinstance(v, (dict, list)) else None


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not s:
        return NO if c and not (b"CONNECT ".startswith(c[:8]) or c.startswith(b"CONNECT ")) else MORE
    info = _line(s, b"INFO")
    if info is None or info is MORE:
        return NO if info is None else MORE
    if "server_id" not in info and "version" not in info:
        return NO
    meta = {"server_version": _text(info.get("version"))}
    if c:
        conn = _line(c, b"CONNECT")
        if conn is None:
            return NO
        if conn is not MORE:
            meta["client_lang"] = _text(conn.get("lang"))
            return claim("nats", 0.95, **meta)
    return claim("nats", 0.85, **meta)


SPEC = DetectorSpec(name="nats", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"C"), s2c=frozenset(b"I")),
                    max_confidence=0.95)
