"""Checkmk agent (the Checkmk agent output format, "<<<section>>>" headers): the
monitoring server connects and the agent writes its report at once, which begins with
the section header "<<<check_mk>>>" and a line "Version: ...".  Agents 2.1+ in
registered (TLS) mode send a 2-byte protocol marker instead; that is not claimed here.
Metadata: version (the agent's), agent_os when the report says.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

HEADER = b"<<<check_mk>>>"


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    data = s or c                     # the agent (the server) talks alone
    if not data:
        return MORE
    if s and c:
        data = s
    if not data.startswith(HEADER[:len(data)]):
        return NO
    if len(data) < len(HEADER) + 1:
        return MORE
    rest = data[len(HEADER):]
    if rest[:1] not in (b"\n", b"\r"):
        return NO
    lines = rest.split(b"\n")
    meta = {}
    for line in lines[1:-1][:8]:
        key, _, value = line.rstrip(b"\r").partition(b": ")
        if key == b"Version":
            meta["version"] = dec(value)
        elif key == b"AgentOS":
            meta["agent_os"] = dec(value)
    if "version" not in meta and len(lines) < 3 and len(data) < 256:
        return MORE
    return claim("checkmk", 0.95 if "version" in meta else 0.85, **meta)


SPEC = DetectorSpec(name="checkmk", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"<"), s2c=frozenset(b"<")),
                    max_confidence=0.95)
