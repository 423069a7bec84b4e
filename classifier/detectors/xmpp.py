"""XMPP (RFC 6120): each side opens an XML stream -- optional ``<?xml?>`` declaration
then ``<stream:stream`` with the ``http://etherx.jabber.org/streams`` namespace.
Metadata: to (the domain asked for), namespace (jabber:client / jabber:server).
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

_OPEN = re.compile(rb"\s*(<\?xml[^>]{0,200}\?>\s*)?<stream:stream\b([^>]{0,1024})>", re.S)
_TO = re.compile(rb"""\bto=['"]([^'"]{1,255})['"]""")
_NS = re.compile(rb"""\bxmlns=['"](jabber:[a-z]+)['"]""")


def probe(view, state):
    more = False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        m = _OPEN.match(data)
        if m:
            if b"etherx.jabber.org/streams" not in m.group(2):
                return NO                  # another XML stream dialect
            to, ns = _TO.search(m.group(2)), _NS.search(m.group(2))
            return claim("xmpp", 1.0, to=dec(to.group(1)) if to else None,
                         namespace=dec(ns.group(1)) if ns else None)
        head = data.lstrip()[:14]
        if (b"<?xml".startswith(head[:5]) or b"<stream:stream".startswith(head)) and len(data) < 1024:
            more = True
    return MORE if more else NO


SPEC = DetectorSpec(name="xmpp", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"< \r\n"), s2c=frozenset(b"< \r\n")))
