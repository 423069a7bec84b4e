"""OpenVPN (TLS mode) over UDP, or TCP with a 2-byte length prefix.  Byte 0 = opcode(5)
key_id(3); a session starts with P_CONTROL_HARD_RESET_CLIENT_V2/V3 (opcode 7/10) and
is answered by HARD_RESET_SERVER_V2 (8), which acknowledges the client's session id.
The packet may carry a tls-auth HMAC (20 or 32 bytes + 8 of replay id) before the
ack array, so the parser tries each layout.  Static-key mode has no clear header and is
not detectable from payload.  Metadata: opcode, hmac_size.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match

RESET_CLIENT = (1, 7, 10)   # V1, V2, V3
RESET_SERVER = (2, 8)
HMAC_LAYOUTS = (0, 28, 40, 72)   # none, SHA1+replay, SHA256+replay, SHA512+replay


def _packets(view):
    if view.transport == "udp":
        return [list(view.datagrams_c2s[:2]), list(view.datagrams_s2c[:2])]
    out = []
    for data in (view.payload_c2s, view.payload_s2c):
        pk = []
        if data:
            if len(data) < 2:
                return None                     # the length prefix itself is incomplete
            n = int.from_bytes(data[:2], "big")
            if n < 14 or n > 1600:
                pk.append(None)                 # control packets are 14..1600 bytes
            elif len(data) < 2 + n:
                return None                     # first packet still arriving
            else:
                pk.append(data[2:2 + n])
        out.append(pk)
    return out


def _reset(pkt: bytes, layout: int, client: bool):
    """(session_id, remote_session_id or None) if the ack array parses at ``layout``."""
    pos = 9 + layout
    if pos >= len(pkt):
        return None
    nack = pkt[pos]
    if client:
        # The client's first reset acknowledges nothing and is message-packet-id 0.
        if nack != 0 or pkt[pos + 1:pos + 5] != b"\x00\x00\x00\x00":
            return None
        return pkt[1:9], None
    if nack != 1 or len(pkt) < pos + 1 + 4 + 8 + 4:
        return None
    if pkt[pos + 1:pos + 5] != b"\x00\x00\x00\x00":
        return None
    return pkt[1:9], pkt[pos + 5:pos + 13]


def probe(view, state):
    packets = _packets(view)
    if packets is None:
        return MORE
    c, s = packets
    if None in c or None in s:
        return NO
    if not c and not s:
        return MORE
    first_c = c[0] if c else None
    first_s = s[0] if s else None
    if first_c is not None and len(first_c) < 14:
        return MORE if first_c and first_c[0] >> 3 in RESET_CLIENT else NO
    if first_c is None or first_c[0] >> 3 not in RESET_CLIENT:
        return NO
    for layout in HMAC_LAYOUTS:
        r = _reset(first_c, layout, True)
        if r is None:
            continue
        if first_s is None:
            return MORE
        if first_s[0] >> 3 in RESET_SERVER:
            rs = _reset(first_s, layout, False)
            if rs and rs[1] == r[0]:
                # The server acknowledges the client's own 8-byte session id: certain.
                return match("openvpn", 1.0, opcode=first_c[0] >> 3, hmac_size=layout)
    if first_s is None:
        return MORE
    # tls-crypt encrypts the ack array; what stays clear is opcode, session id, packet
    # id and a Unix timestamp (offset 13).  Both resets carry a plausible time, and
    # nearly the same one: random bytes almost never do.
    if first_s and first_s[0] >> 3 in RESET_SERVER and 40 <= len(first_c) <= 400 \
            and len(first_s) >= 17:
        tc = int.from_bytes(first_c[13:17], "big")
        ts = int.from_bytes(first_s[13:17], "big")
        if _PLAUSIBLE_TIME[0] <= tc <= _PLAUSIBLE_TIME[1] and abs(tc - ts) <= 2 * 86400:
            return match("openvpn", 0.8, opcode=first_c[0] >> 3, tls_crypt=True)
    return NO


_PLAUSIBLE_TIME = (1104537600, 2208988800)      # 2005-01-01 .. 2040-01-01 UTC


SPEC = DetectorSpec(name="openvpn", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(any=True))
