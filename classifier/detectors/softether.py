"""SoftEther VPN over UDP: its NAT-traversal exchange, which nDPI's softether.c
describes, in two kinds of datagram on one 5-tuple:

* the probe and its answer: the client sends one-byte datagrams holding "A"; the
  NAT-traversal server answers with the client's address as it saw it, in ASCII:
  "IP=<address>,PORT=<port>";
* requests and answers serialised as a SoftEther "Pack": a u32 BE element count, then
  per element its name (a u32 BE length that counts a terminating NUL which is not
  sent, then the name), a u32 BE value type (0 int, 1 data, 2 string, 3 Unicode
  string, 4 int64), a u32 BE value count and the values (4 or 8 bytes for the
  integers, a u32 BE length and that many bytes for the others), e.g. "host_name",
  "opcode", "my_ip".

This detector requires every datagram of the flow to be one of these (a Pack parsed to
its end, or to the end of what was captured after two whole elements), and at least an
answer line or a Pack (0.9: a fixed text syntax, or a self-describing binary layout
whose counts, types, lengths and printable names must all agree).  The one-byte probes
alone are too little to name (MORE).  SoftEther's TCP side is HTTPS or HTTP (its DDNS
POST) and stays `tls` / `http`.
Metadata: reflected (the "address:port" the server reported), elements (the first
Pack's element names, comma-separated).
"""
from __future__ import annotations

import re

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim, dec

PROBE = b"A"
_ANSWER = re.compile(rb"IP=([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:]{2,39}),PORT=([0-9]{1,5})\Z")
_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_.]{0,62}\Z")
MAX_ELEMENTS = 1024
MAX_VALUES = 4096
FIXED = {0: 4, 4: 8}                  # int, int64; types 1-3 carry their own length


def _u32(b: bytes, i: int):
    return int.from_bytes(b[i:i + 4], "big") if i + 4 <= len(b) else None


def _pack(dg: bytes):
    """The element names of a whole Pack, or of one cut after two whole elements;
    None otherwise."""
    n = _u32(dg, 0)
    if n is None or not 1 <= n <= MAX_ELEMENTS:
        return None
    i, names = 4, []
    for _ in range(n):
        nl = _u32(dg, i)
        if nl is None:
            break
        if not 2 <= nl <= 64:
            return None
        name = dg[i + 4:i + 3 + nl]
        if len(name) < nl - 1:
            break
        if not _NAME.match(name):
            return None
        i += 3 + nl
        kind, count = _u32(dg, i), _u32(dg, i + 4)
        if kind is None or count is None:
            break
        if kind > 4 or not 1 <= count <= MAX_VALUES:
            return None
        i += 8
        for _v in range(count):
            if kind in FIXED:
                i += FIXED[kind]
            else:
                size = _u32(dg, i)
                if size is None:
                    break
                i += 4 + size
            if i > len(dg):
                break
        if i > len(dg):
            break
        names.append(name)
    else:
        return names if i == len(dg) else None
    return names if len(names) >= 2 else None


def probe(view, state):
    reflected, elements, probes = None, None, 0
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for dg in dgs:
            if not dg:
                continue
            if dg == PROBE:
                probes += 1
                continue
            if dg[:1] == b"I":
                m = _ANSWER.match(dg)
                if m is None or int(m.group(2)) > 65535:
                    return NO if len(dg) >= 4 or not b"IP=".startswith(dg) else MORE
                reflected = reflected or (m.group(1) + b":" + m.group(2))
                continue
            names = _pack(dg)
            if names is None:
                return NO
            elements = elements or names
    if reflected is None and elements is None:
        return MORE if probes else NO
    return claim("softether", 0.9, reflected=dec(reflected) if reflected else None,
                 elements=dec(b",".join(elements)) if elements else None)


SPEC = DetectorSpec(name="softether", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(b"AI\x00"), s2c=frozenset(b"AI\x00")),
                    max_confidence=0.9,
                    # every datagram: the "A" probe, an "IP=" answer, or a Pack whose element
                    # count (a u32) is 1-1024
                    gate=Gate(prefix=True, forms=(
                        ((0, 0xFF, 0x41, 0x41),),
                        ((0, 0xFF, 0x49, 0x49), (1, 0xFF, 0x50, 0x50), (2, 0xFF, 0x3D, 0x3D)),
                        ((0, 0xFF, 0, 0), (1, 0xFF, 0, 0), (2, 0xFF, 0, 4)))))
