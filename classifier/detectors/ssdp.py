"""SSDP (UPnP discovery) over UDP: HTTP/1.1 syntax over datagrams, with the methods
M-SEARCH and NOTIFY on target ``*``, or unicast 200 responses carrying ST/USN headers.
Metadata: method, st/nt, server, user_agent, location.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim
from ._httpmsg import MORE_NEEDED, cached_parse, udp_messages


def probe(view, state):
    more = False
    for dg in udp_messages(view):
        m = cached_parse(state, dg)
        if m == MORE_NEEDED:
            more = True
            continue
        if m is None or m.proto != "HTTP":
            return NO                     # SSDP is HTTP/1.1 syntax, nothing else
        h = m.headers
        if m.kind == "request" and m.method in ("M-SEARCH", "NOTIFY") and m.target == "*":
            return claim("ssdp", 1.0, method=m.method, st=h.get("st") or h.get("nt"),
                         server=h.get("server"), user_agent=h.get("user-agent"),
                         location=h.get("location"))
        if m.kind == "response" and ("st" in h or "usn" in h):
            # A search response is a plain HTTP 200; only its ST/USN headers are SSDP.
            return claim("ssdp", 0.95, status=m.status, st=h.get("st"),
                         server=h.get("server"), location=h.get("location"))
        return NO                         # HTTP over UDP without SSDP's method or headers
    return MORE if more else NO


def _starts(word: bytes) -> tuple:
    return tuple((k, 0xff, b, b) for k, b in enumerate(word))


SPEC = DetectorSpec(name="ssdp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"MNH"), s2c=frozenset(b"MNH")),
                    # compiled: a lone datagram is the message that decides, so it starts
                    # with M-SEARCH, NOTIFY or a status line's HTTP/ (and holds a whole
                    # start line: "NOTIFY * HTTP/1.1" and its line end)
                    gate=Gate(lone=True, min_len=18, forms=(_starts(b"M-SE"), _starts(b"NOTI"),
                                                             _starts(b"HTTP"))))
