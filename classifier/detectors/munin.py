"""Munin node protocol (munin-node(1), "Munin protocol" in the Munin guide): the node
speaks first with the line "# munin node at <hostname>"; the master then sends
line commands (cap, list, nodes, config, fetch, version, quit).
Metadata: node (the host name the node announces), command (the master's first).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, ascii_line, claim, dec

BANNER = b"# munin node at "
COMMANDS = (b"cap", b"list", b"nodes", b"config", b"fetch", b"version", b"quit", b"spoolfetch", b"starttls")


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not s:
        return NO if c and not any(c.startswith(x[:len(c)]) for x in COMMANDS) else MORE
    if not s.startswith(BANNER[:len(s)]):
        return NO
    line = ascii_line(s, 300)
    if line is None:
        return MORE if len(s) < 300 else NO
    node = line[len(BANNER):]
    if not node or b" " in node or any(ch < 0x21 or ch > 0x7e for ch in node):
        return NO
    meta = {"node": dec(node)}
    if c:
        cmd = ascii_line(c, 300)
        if cmd is not None:
            word = cmd.split(b" ", 1)[0]
            if word not in COMMANDS:
                return NO
            meta["command"] = dec(word)
    return claim("munin", 0.95, **meta)


SPEC = DetectorSpec(name="munin", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(b"clnfvqs"), s2c=frozenset(b"#")),
                    max_confidence=0.95)
