"""SSH (RFC 4253 4.2): each side first sends ``SSH-protoversion-softwareversion``.
Metadata: client_banner, server_banner.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, ascii_line, dec, match

MAGIC = b"SSH-"


def banner(data: bytes):
    """The banner line, None when not SSH, or MORE when a valid prefix."""
    if len(data) < 4:
        return MORE if MAGIC.startswith(data) else None
    if not data.startswith(MAGIC):
        return None                        # both sides must send the identification first
    line = ascii_line(data, 256)
    if line is None:
        # RFC 4253 caps the identification line at 255 bytes.
        return MORE if len(data) < 256 else None
    # "SSH-2.0-x" / "SSH-1.99-x" / "SSH-1.5-x": a version, then a dash.
    ver, sep, _ = line[4:].partition(b"-")
    if not sep or ver not in (b"2.0", b"1.99", b"1.5", b"1.3"):
        return None                        # protocol versions that ever existed
    return line


def probe(view, state):
    out = {}
    more = False
    for key, data in (("client_banner", view.payload_c2s), ("server_banner", view.payload_s2c)):
        if not data:
            continue
        b = banner(data)
        if b is MORE:
            more = True
        elif b is not None:
            out[key] = dec(b)
    if out:
        return match("ssh", 1.0 if len(out) == 2 else 0.95, **out)
    return MORE if more else NO


SPEC = DetectorSpec(name="ssh", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(b"S"), s2c=frozenset(b"S")))
