"""WS-Discovery (OASIS WS-Discovery 1.1, and the 2005/04 draft Windows uses): SOAP 1.2
envelopes in single UDP datagrams (SOAP-over-UDP), Probe / Resolve multicast by
clients, Hello / Bye announced by devices, ProbeMatches / ResolveMatches unicast back.
A datagram is an XML document whose root is a SOAP Envelope and which names the
WS-Discovery namespace; the action is the last path element of wsa:Action.
Metadata: action.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

NAMESPACES = (b"schemas.xmlsoap.org/ws/2005/04/discovery", b"docs.oasis-open.org/ws-dd/ns/discovery/2009/01")
ENVELOPE = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<(?:[A-Za-z0-9_.-]+:)?Envelope[\s>]")
ACTION = re.compile(rb"<(?:[A-Za-z0-9_.-]+:)?Action[^>]*>\s*([^<\s]+)\s*<")


def _parse(d: bytes):
    if not ENVELOPE.match(d):
        return None
    if not any(ns in d for ns in NAMESPACES):
        return None
    m = ACTION.search(d)
    return dec(m.group(1).rsplit(b"/", 1)[-1]) if m else ""


def probe(view, state):
    # the envelope's start and namespace are early: a datagram cut short still shows them
    units = [d for d in view.datagrams_c2s if d] + [d for d in view.datagrams_s2c if d]
    if not units:
        return MORE
    action = None
    for d in units:
        if len(d) < 64 and (b"<?xml".startswith(d[:5]) or d[:1] == b"<"):
            return MORE               # too short to show the envelope and its namespace
        a = _parse(d)
        if a is None:
            return NO
        action = action or a
    return claim("wsd", 0.95, action=action or None)


SPEC = DetectorSpec(name="wsd", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"<\xef \r\n\t"), s2c=frozenset(b"<\xef \r\n\t")),
                    max_confidence=0.95,
                    # every datagram holds "<Envelope" and a space or ">" (10 bytes) and a
                    # namespace of 40 bytes or more (a shorter one that starts like XML is
                    # MORE)
                    gate=Gate(min_len=50))
