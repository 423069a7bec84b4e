"""Git protocol (git://, gitprotocol-pack): pkt-lines -- 4 hex digits of length
(including themselves) then data.  The client starts with
``git-upload-pack /path\\0host=...\\0``; the server advertises refs as
``<40 hex sha> <ref>\\0<capabilities>``.  Metadata: service, path, host.
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

_HEX = re.compile(rb"[0-9a-f]{4}")
_REQ = re.compile(rb"(git-upload-pack|git-receive-pack|git-upload-archive) ([^\x00]{1,1024})\x00(?:host=([^\x00]{1,255})\x00)?")
_REF = re.compile(rb"[0-9a-f]{40} \S")


def pkt(data: bytes):
    """payload of the first pkt-line, None, or MORE."""
    if len(data) < 4:
        return MORE if re.fullmatch(rb"[0-9a-f]*", data) else None
    if not _HEX.fullmatch(data[:4]):
        return None                       # pkt-line lengths are four lower-case hex digits
    n = int(data[:4], 16)
    if n < 4 or n > 65520:
        # 0000 flush, 0001 delimiter, 0002 response-end are special; other lengths below
        # the header size or above LARGE_PACKET_MAX do not exist.
        return None if n not in (0, 1, 2) else b""
    if len(data) < n:
        return MORE
    return data[4:n]


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if c:
        p = pkt(c)
        if p is None:
            return NO
        if p is MORE:
            return MORE
        m = _REQ.match(p)
        if m:
            return claim("git", 1.0, service=m.group(1).decode(), path=dec(m.group(2)),
                         host=dec(m.group(3)) if m.group(3) else None)
        if not s:
            return NO                     # a client pkt-line that is not a service request
    if s:
        p = pkt(s)
        if p is None:
            return NO
        if p is MORE:
            return MORE
        if _REF.match(p) or p.startswith(b"version 2"):
            return claim("git", 0.9)
        return NO                         # servers open with a ref or a capability list
    return MORE


SPEC = DetectorSpec(name="git", transports=("tcp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"0123456789abcdef"),
                                                       s2c=frozenset(b"0123456789abcdef")))
