"""DNSCrypt v2 (the DNSCrypt protocol specification, dnscrypt.info): after fetching the
resolver's certificate as a plain DNS TXT record (that exchange is DNS), a client sends
<client-magic (8)> <client-pk (32)> <client-nonce (12)> <encrypted query>, the query
padded to a multiple of 64 bytes (at least 256 on UDP) plus a 16-byte MAC; the
resolver answers <resolver-magic "r6fnvWj8"> <nonce (24)> <encrypted response>, the
nonce's first half echoing the client's nonce.  Over TCP each message is preceded by
its 2-byte length.

The client-magic is the resolver certificate's and differs between resolvers, so it
is no signature; the padding rules differ between implementations and versions, so
sizes are only checked against the fixed overheads.  What is stable is the resolver's
fixed magic and the nonce echo: a flow needs the resolver's answer (its magic) and,
when the query is seen, the echo of the query's client nonce (0.95; 0.85 without it).
Metadata: client_magic (hex).
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

RESOLVER_MAGIC = b"r6fnvWj8"
Q_OVERHEAD = 8 + 32 + 12 + 16         # magic, client public key, half nonce, MAC
R_OVERHEAD = 8 + 24 + 16              # resolver magic, nonce, MAC


def _tcp_unit(d: bytes):
    """The first length-prefixed message of a TCP direction, MORE, or None."""
    if len(d) < 2:
        return MORE
    n = int.from_bytes(d[:2], "big")
    if len(d) < 2 + n:
        return d[2:] if len(d) - 2 >= 64 else MORE      # enough of it to check the header
    return d[2:2 + n]


def probe(view, state):
    if view.transport == "udp":
        q = next((d for d in view.datagrams_c2s if d), b"")
        r = next((d for d in view.datagrams_s2c if d), b"")
        if not r and q[:8] == RESOLVER_MAGIC:
            # Only the resolver's side was seen (a one-direction capture, or the queries
            # lost): the first sender is taken for the client, so its answers come as
            # the client's datagrams.  The magic is the resolver's, never a client's.
            q, r = b"", q
        qlen, rlen = len(q), len(r)
    else:
        q = _tcp_unit(view.payload_c2s) if view.payload_c2s else b""
        r = _tcp_unit(view.payload_s2c) if view.payload_s2c else b""
        if q is None or r is None:
            return NO
        if q is MORE or r is MORE:
            return MORE
        qlen = int.from_bytes(view.payload_c2s[:2], "big") if q else 0
        rlen = int.from_bytes(view.payload_s2c[:2], "big") if r else 0
    if q and qlen < Q_OVERHEAD + 12:
        return NO                     # too short to hold an encrypted DNS header
    if not r:
        return MORE                   # the resolver's answer decides
    if r[:len(RESOLVER_MAGIC)] != RESOLVER_MAGIC[:len(r)]:
        return NO
    if len(r) < R_OVERHEAD:
        return MORE if view.transport == "tcp" else NO   # a datagram is whole
    if rlen < R_OVERHEAD + 12:
        return NO                     # too short to hold an encrypted DNS answer
    if q:
        if r[8:20] != q[40:52]:
            return NO                 # the nonce's first half is the client's nonce
        return claim("dnscrypt", 0.95, client_magic=q[:8].hex())
    return claim("dnscrypt", 0.85)


# The client's first byte is its resolver's magic (anything: no hint); the resolver's is
# "r" (UDP) or a length's high byte (TCP; answers are far below 4 KiB).  The engine
# re-checks the hint as bytes arrive, so the answer is what lets the probe run.
SPEC = DetectorSpec(name="dnscrypt", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(s2c=frozenset(b"r"), tcp=Prefilter(s2c=frozenset(range(0x10)))),
                    max_confidence=0.95)
