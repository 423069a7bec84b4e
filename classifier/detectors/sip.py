"""SIP (RFC 3261) over UDP or TCP: ``METHOD sip:uri SIP/2.0`` or ``SIP/2.0 NNN``.
Metadata: method, status, user_agent, from/to URIs, call_id.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from ._httpmsg import MORE_NEEDED, cached_parse

METHODS = frozenset("INVITE ACK BYE CANCEL REGISTER OPTIONS PRACK SUBSCRIBE NOTIFY "
                    "PUBLISH INFO REFER MESSAGE UPDATE".split())


def _units(view):
    if view.transport == "udp":
        return list(view.datagrams_c2s) + list(view.datagrams_s2c)
    return [view.payload_c2s, view.payload_s2c]


def probe(view, state):
    more = False
    for data in _units(view):
        if not data:
            continue
        if data in (b"\r\n\r\n", b"\r\n", b"\x00\x00\x00\x00") or \
                (view.transport == "udp" and len(data) <= 16):
            more = True                  # keep-alives (RFC 5626 4.4.1, vendors' "hello"):
            continue                     # say nothing, wait for a real message
        m = cached_parse(state, data)
        if m == MORE_NEEDED:
            more = True
            continue
        if m is None or m.proto != "SIP" or m.version != "2.0":
            return NO                    # SIP/2.0 is the only version in use
        if m.kind == "request" and m.method not in METHODS:
            return NO                    # registered methods only (RFC 3261 and extensions)
        h = m.headers
        return match("sip", 1.0, method=m.method, status=m.status,
                     user_agent=h.get("user-agent") or h.get("server"),
                     from_=h.get("from") or h.get("f"), to=h.get("to") or h.get("t"),
                     call_id=h.get("call-id") or h.get("i"))
    return MORE if more else NO


SPEC = DetectorSpec(name="sip", transports=("tcp", "udp"), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"IABCROSNPMU\r\x00"),
                                                       s2c=frozenset(b"SIABCROSNPMU\r\x00")))
