"""OpenVPN (TLS mode) over UDP, or TCP with a 2-byte length prefix.  Byte 0 = opcode(5)
key_id(3); a session starts with P_CONTROL_HARD_RESET_CLIENT_V2/V3 (opcode 7/10) and
is answered by HARD_RESET_SERVER_V2 (8), which acknowledges the client's session id.
The packet may carry a tls-auth HMAC (20 or 32 bytes + 8 of replay id) before the
ack array, so the parser tries each layout.  Static-key mode has no clear header and is
not detectable from payload.  Metadata: opcode, hmac_size.
"""
from __future__ import annotations

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

RESET_CLIENT = (1, 7, 10)   # V1, V2, V3
RESET_SERVER = (2, 8)
HMAC_LAYOUTS = (0, 28, 40, 72)   # none, SHA1+replay, SHA256+replay, SHA512+replay


# probe(view, state): the first packet of each side (UDP datagrams, or TCP packets
# behind their 2-byte length); the client's must be a hard reset (opcode 1/7/10) whose
# ack array parses at one of the HMAC_LAYOUTS, and the server's reset (2/8) must
# acknowledge the client's session id at the same layout (1.0); with tls-crypt, both
# resets carrying a plausible and nearly equal timestamp at offset 13 (0.8).
# Metadata: opcode, hmac_size (or tls_crypt).  Compiled: openvpn.pxi.
probe = _fast.openvpn_probe


_PLAUSIBLE_TIME = (1104537600, 2208988800)      # 2005-01-01 .. 2040-01-01 UTC


SPEC = DetectorSpec(name="openvpn", transports=("udp", "tcp"), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(any=True),
                    # UDP: a client's hard reset (opcode 1, 7 or 10 in the top 5 bits; 14
                    # bytes at least) answered by the server: two datagrams
                    gate=Gate(units=2, c2s_only=True, min_len=14, bytes=((0, 0xff, 8, 87),)))
