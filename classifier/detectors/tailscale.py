"""Tailscale's peer-to-peer path discovery ("disco"), as Tailscale's open-source disco
package defines it: a disco message is a UDP datagram starting with the 6-byte magic
"TS" followed by the UTF-8 speech balloon U+1F4AC ("TS\\xf0\\x9f\\x92\\xac"), then the
sender's 32-byte disco public key, a 24-byte nonce and a NaCl box (16 bytes of
authenticator, then at least a message type and version byte: ping, pong,
call-me-maybe).  The same 5-tuple then carries WireGuard, whose messages start with a
type byte 1-4 and three zero bytes.  (DERP, its relay, runs inside TLS.)

This detector requires at least one disco message, whole (6 + 32 + 24 + 16 + 2 bytes at
least), and every other datagram of the flow to be a disco or WireGuard-shaped message
(0.95: a 6-byte magic).  It sits before wireguard in the table: a flow that mixes disco
and WireGuard is Tailscale's.
Metadata: disco (disco messages seen), wireguard (WireGuard-shaped datagrams seen).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

MAGIC = "TS\U0001F4AC".encode()     # b"TS\xf0\x9f\x92\xac"
MIN_DISCO = len(MAGIC) + 32 + 24 + 16 + 2


def _kind(dg: bytes):
    """"disco", "wg", MORE (a cut disco message) or None."""
    if MAGIC.startswith(dg[:6]):
        return "disco" if len(dg) >= MIN_DISCO else MORE
    if len(dg) >= 4 and 1 <= dg[0] <= 4 and dg[1:4] == b"\x00\x00\x00":
        return "wg"
    return None


def probe(view, state):
    counts = {"disco": 0, "wg": 0}
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        for dg in dgs:
            if not dg:
                continue
            k = _kind(dg)
            if k is None:
                return NO
            if k is MORE:
                return MORE
            counts[k] += 1
    if not counts["disco"]:
        # WireGuard alone is wireguard's; disco may come later only if nothing yet
        return NO if counts["wg"] else MORE
    return claim("tailscale", 0.95, disco=counts["disco"], wireguard=counts["wg"] or None)


SPEC = DetectorSpec(name="tailscale", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(b"T"), s2c=frozenset(b"T")),
                    max_confidence=0.95)
