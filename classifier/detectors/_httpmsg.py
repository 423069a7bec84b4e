"""Start-line and header parser shared by the HTTP-syntax protocols (http,
http-proxy, rtsp, sip, ssdp).  One parser: each probe only checks which version token
and methods it accepts.
"""
from __future__ import annotations

import re

MORE_NEEDED = "more"
_REQ = re.compile(rb"([A-Z][A-Z_-]{1,19}) (\S{1,8000}) ([A-Z]{3,5})/(\d)\.(\d)$")
_RESP = re.compile(rb"([A-Z]{3,5})/(\d)\.(\d) (\d{3})(?: .*)?$")
_TOKEN_START = re.compile(rb"[A-Z][A-Z_-]{0,19}([ /]|$)")


class Message:
    __slots__ = ("kind", "method", "target", "proto", "version", "status", "headers")

    def __init__(self, kind, method, target, proto, version, status, headers):
        self.kind, self.method, self.target = kind, method, target
        self.proto, self.version, self.status, self.headers = proto, version, status, headers


def parse(data: bytes, max_line: int = 8192):
    """Message, None (not an HTTP-syntax start line) or MORE_NEEDED."""
    end = data.find(b"\n", 0, max_line)
    if end < 0:
        head = data[:64]
        # Keep waiting only while the bytes still look like the start of a start line.
        if len(data) >= max_line or not _TOKEN_START.match(head) and len(head) >= 21:
            return None
        if not head or not (65 <= head[0] <= 90):
            return None                    # methods and version tokens are upper-case
        if any(b < 0x20 and b not in (9, 13) for b in head):
            return None                    # start lines are text
        return MORE_NEEDED
    line = data[:end].rstrip(b"\r")
    m = _REQ.match(line)
    if m:
        msg = Message("request", m.group(1).decode(), m.group(2).decode("latin-1"),
                      m.group(3).decode(), f"{m.group(4).decode()}.{m.group(5).decode()}",
                      None, {})
    else:
        m = _RESP.match(line)
        if not m:
            return None                    # neither a request line nor a status line
        msg = Message("response", None, None, m.group(1).decode(),
                      f"{m.group(2).decode()}.{m.group(3).decode()}", int(m.group(4)), {})
    # Headers: read the complete lines; a header block cut by the budget is fine.
    block = data[end + 1:]
    stop = block.find(b"\r\n\r\n")
    if stop >= 0:
        block = block[:stop]
    lines = block.split(b"\n")
    if stop < 0 and lines:
        lines.pop()                        # the last piece may be a cut line
    headers = msg.headers
    for h in lines:
        k, sep, v = h.partition(b":")
        if not sep:
            if h.strip():
                continue
            break
        # Only the headers some detector reports are decoded (the rest cost nothing).
        k = k.lower()
        if k in WANTED:
            k = k.decode()
            if k not in headers:
                headers[k] = v.strip().decode("latin-1")[:256]
    return msg


# Header names read by http, http-proxy, rtsp, sip (with compact forms) and ssdp.
WANTED = frozenset(b"host user-agent server st nt usn location from f to t call-id i".split())


def cached_parse(state: dict, data: bytes):
    """parse() memoised in the flow's shared state: the five HTTP-syntax detectors
    read the same bytes, so they share one parse (the entry keeps data alive, so its
    id cannot be reused while cached)."""
    key = ("_httpmsg", id(data))
    hit = state.get(key)
    if hit is None:
        hit = state[key] = (data, parse(data))
    return hit[1]


def udp_messages(view):
    for dg in list(view.datagrams_c2s) + list(view.datagrams_s2c):
        if dg:
            yield dg
