"""DTLS over UDP (RFC 6347 / 9147): 13-byte record header (type, version, epoch,
48-bit sequence, length); records never span datagrams, so the records of a datagram
must chain exactly to its end.  On WebRTC 5-tuples DTLS shares the flow with STUN and
SRTP (RFC 7983 demultiplexing by first byte); those datagrams are skipped, not held
against DTLS.  Metadata: version, sni, alpn, supported_versions.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, datagrams, match
from ._hello import parse_hello, version_name

_TYPES = frozenset((0x14, 0x15, 0x16, 0x17, 0x19))   # 0x19: DTLS 1.2 CID record (RFC 9146)
_VERSIONS = (0xFEFF, 0xFEFD, 0x0100)                  # 0x0100: OpenSSL pre-RFC DTLS


CUT = "cut"


def records(dg: bytes):
    """[(type, version, epoch, body)] when the datagram is a chain of records,
    None when it is not DTLS, MORE when it is a too-short prefix."""
    out, pos = [], 0
    while pos < len(dg):
        if dg[pos] not in _TYPES:
            return None
        if len(dg) - pos < 13:
            if pos == 0 and (len(dg) < 3 or int.from_bytes(dg[1:3], "big") in _VERSIONS):
                return MORE
            return None
        ver = int.from_bytes(dg[pos + 1:pos + 3], "big")
        n = int.from_bytes(dg[pos + 11:pos + 13], "big")
        if ver not in _VERSIONS or n == 0:
            return None
        if pos + 13 + n > len(dg):
            # A record must fit in its datagram -- unless the datagram itself was cut by
            # the byte budget, which only the caller can know.
            return CUT if out or pos == 0 else None
        out.append((dg[pos], ver, int.from_bytes(dg[pos + 3:pos + 5], "big"),
                    dg[pos + 13:pos + 13 + n]))
        pos += 13 + n
    return out


def _multiplexed(dg: bytes) -> bool:
    # RFC 7983: 0-3 STUN, 64-79 TURN channel, 128-191 RTP/RTCP share the 5-tuple.
    b = dg[0]
    return b <= 3 or 64 <= b <= 79 or 128 <= b <= 191


def probe(view, state):
    seen = bad = 0
    meta: dict = {}
    lasts = {id(view.datagrams_c2s[-1]) if view.datagrams_c2s else None,
             id(view.datagrams_s2c[-1]) if view.datagrams_s2c else None}
    for _d, dg in datagrams(view):
        if dg[0] not in _TYPES:
            if _multiplexed(dg):
                continue
            return NO
        recs = records(dg)
        if recs is None:
            # Vendors wrap extra records in DTLS-looking headers (seen in Zoom): one
            # odd datagram is held against the flow only if no handshake shows up.
            bad += 1
            continue
        if recs is MORE:
            return MORE
        if recs == CUT:
            if id(dg) in lasts:
                continue                    # the last kept datagram, cut by the budget
            return NO
        seen += 1
        for ctype, ver, epoch, body in recs:
            meta.setdefault("version", version_name(ver))
            if ctype == 0x16 and epoch == 0 and len(body) >= 12 and body[0] in (1, 2):
                # Handshake header: type, length(3), message_seq(2), frag_off(3), frag_len(3)
                flen = int.from_bytes(body[9:12], "big")
                hello = parse_hello(body[0], body[12:12 + flen], dtls=True)
                if hello is None:
                    bad += 1
                    continue
                for k in ("sni", "alpn", "supported_versions"):
                    if k in hello and k not in meta:
                        meta[k] = hello[k]
                if body[0] == 2 and "version" in hello:
                    meta["version"] = hello["version"]
                meta["handshake"] = True
    if meta.get("handshake"):
        return match("dtls", 0.9 if bad else 1.0, **meta)
    if bad:
        # Odd datagrams and no handshake: not DTLS -- unless that is all we have seen
        # so far (one vendor datagram may precede the ClientHello).
        return MORE if bad == 1 and not seen else NO
    if seen:
        # Only encrypted records (capture started mid-session): a 13-byte header whose
        # version and length chain exactly to the datagram's end is still convincing.
        return match("dtls", 0.8 if seen >= 2 else 0.75, **meta)
    return MORE


SPEC = DetectorSpec(name="dtls", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=6, prefilter=Prefilter(c2s=_TYPES | {0, 1}, s2c=_TYPES | {0, 1}))
