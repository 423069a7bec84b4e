"""DTLS over UDP (RFC 6347 / 9147): 13-byte record header with epoch and sequence.

Metadata: version, sni, alpn from a ClientHello carried in a handshake record.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, datagrams, match
from ._hello import parse_hello, version_name

_TYPES = frozenset((0x14, 0x15, 0x16, 0x17, 0x19))   # 0x19: DTLS 1.2 CID record (RFC 9146)


def _record(dg: bytes):
    """(content_type, version, epoch, body) or 'more' / None."""
    if dg[0] not in _TYPES:
        return None
    if len(dg) < 13:
        # DTLS versions are 0xFEFF (1.0), 0xFEFD (1.2), and 0x0100 (pre-standard OpenSSL).
        return "more" if len(dg) < 3 or dg[1:3] in (b"\xfe\xff", b"\xfe\xfd", b"\x01\x00") else None
    ver = int.from_bytes(dg[1:3], "big")
    if ver not in (0xFEFF, 0xFEFD, 0x0100):
        return None
    n = int.from_bytes(dg[11:13], "big")
    if n == 0 or 13 + n > len(dg) + 0:
        # The record length must fit the datagram: records never span datagrams.
        return None if 13 + n > len(dg) and len(dg) >= 1200 else "more" if 13 + n > len(dg) else None
    return dg[0], ver, int.from_bytes(dg[3:5], "big"), dg[13:13 + n]


def probe(view, state):
    seen = 0
    meta = {}
    for _d, dg in datagrams(view):
        r = _record(dg)
        if r is None:
            return NO
        if r == "more":
            return MORE
        ctype, ver, epoch, body = r
        seen += 1
        meta.setdefault("version", version_name(ver))
        if ctype == 0x16 and epoch == 0 and len(body) >= 12 and body[0] in (1, 2):
            # Handshake header: type, length(3), message_seq(2), frag_offset(3), frag_len(3)
            flen = int.from_bytes(body[9:12], "big")
            hello = parse_hello(body[0], body[12:12 + flen], dtls=True)
            if hello is None:
                return NO
            for k in ("sni", "alpn", "supported_versions"):
                if k in hello:
                    meta[k] = hello[k]
            if body[0] == 2:
                meta["version"] = hello.get("version", meta["version"])
            return match("dtls", 1.0, **meta)
    if seen >= 2:
        # Only encrypted records (capture started mid-session): two well-formed DTLS
        # record headers in a row are unlikely by chance.
        return match("dtls", 0.7, **meta)
    return MORE


SPEC = DetectorSpec(name="dtls", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=4, prefilter=Prefilter(c2s=_TYPES, s2c=_TYPES))
