"""STUN / TURN (RFC 5389/8489, classic RFC 3489) over UDP or TCP.

20-byte header: type (top two bits zero), length (multiple of 4, equal to the rest of
the message), magic cookie 0x2112A442 (absent in RFC 3489), 96-bit transaction id;
attributes as TLVs padded to 4 bytes.  TURN ChannelData (0x4000-0x7FFF channel) is
accepted only after a STUN message was seen.  Metadata: method, software, username.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, dec, match

COOKIE = b"\x21\x12\xa4\x42"
METHODS = {1: "binding", 3: "allocate", 4: "refresh", 6: "send", 7: "data",
           8: "create-permission", 9: "channel-bind", 0xA: "connect",
           0xB: "connection-bind", 0xC: "connection-attempt"}


def parse(msg: bytes, exact: bool = True):
    """metadata dict, None or MORE."""
    if len(msg) < 20:
        if msg[0] & 0xC0:
            return None
        return MORE
    t = int.from_bytes(msg[0:2], "big")
    n = int.from_bytes(msg[2:4], "big")
    if t & 0xC000:
        return None                     # the two top bits of a STUN type are zero
    modern = msg[4:8] == COOKIE
    if n % 4 and not modern:
        return None                     # attributes are 4-aligned (RFC 5389 15)
    method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
    if not modern and not exact:
        return None                     # STUN over TCP exists only with the RFC 5389 cookie
    if not modern and (method != 1 or t not in (0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112)):
        # Without the cookie only the RFC 3489 binding/shared-secret types exist.
        return None
    if method not in METHODS and not modern:
        return None
    if 20 + n > len(msg):
        return MORE if not exact else None
    if exact and 20 + n != len(msg):
        # A datagram carries exactly one STUN message (Google/Zoom append a 4-byte
        # fingerprint-like trailer only when the length says so).
        return None
    pos, end = 20, 20 + n
    if n % 4:
        # Cookie and exact length, but unpadded attributes (WhatsApp does this): STUN,
        # without walking the attributes.
        pos = end
    meta = {"method": METHODS.get(method, f"0x{method:03x}"),
            "class": ("request", "indication", "success", "error")[((t >> 4) & 1) | ((t >> 7) & 2)]}
    while pos + 4 <= end:
        at = int.from_bytes(msg[pos:pos + 2], "big")
        al = int.from_bytes(msg[pos + 2:pos + 4], "big")
        if pos + 4 + al > end:
            # Header, cookie and length agree but an attribute overruns (vendor
            # extensions, e.g. WhatsApp): undecided rather than "not STUN".
            return MORE if modern else None
        if at == 0x8022:
            meta["software"] = dec(msg[pos + 4:pos + 4 + al])
        elif at == 0x0006:
            meta["username"] = dec(msg[pos + 4:pos + 4 + al])
        pos += 4 + ((al + 3) & ~3)
    if pos != end:
        return MORE if modern else None
    return meta


def _units(view):
    if view.transport == "udp":
        return [(dg, True) for dg in list(view.datagrams_c2s[:4]) + list(view.datagrams_s2c[:4]) if dg]
    out = []
    for d in (view.payload_c2s, view.payload_s2c):
        if not d:
            continue
        # RFC 4571 framing (a 2-byte length before each message), used by ICE-TCP and
        # some TURN-over-TCP stacks: unwrap when the length agrees with STUN's own.
        if len(d) >= 24 and int.from_bytes(d[0:2], "big") == 20 + int.from_bytes(d[4:6], "big") \
                and d[6:10] == COOKIE:
            d = d[2:]
        out.append((d, False))
    return out


def probe(view, state):
    found = None
    more = False
    bad = 0
    for msg, exact in _units(view):
        r = parse(msg, exact)
        if r is MORE:
            more = True
        elif r is None:
            # ChannelData (first byte 0x40-0x7F) and media interleave with STUN on the
            # same 5-tuple; count, but only veto when nothing else is STUN.
            bad += 1
        elif found is None:
            found = r
    if found is not None:
        # Other datagrams on the flow are DTLS or media after ICE (RFC 7983): the flow
        # is then labelled by what it carries (dtls/rtp, higher confidence), and
        # stun is kept in the conflicts.
        # 0.9 even when pure: an ICE exchange is often followed by DTLS or media on the
        # same 5-tuple, which then names the flow (see dtls/rtp).
        return match("stun", 0.9 if bad == 0 else 0.7, **found)
    if more:
        return MORE
    return NO


SPEC = DetectorSpec(name="stun", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(range(0, 0x40)),
                                                       s2c=frozenset(range(0, 0x40))),
                    max_confidence=0.9)
