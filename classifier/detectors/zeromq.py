"""ZeroMQ ZMTP 3.0/3.1 (rfc.zeromq.org 23/ZMTP and 37/ZMTP, "Greeting"): both peers open
with a 64-byte greeting, sent at once or in parts: the signature (0xFF, 8 padding bytes,
0x7F), the version (major 3, minor 0 or 1), the security mechanism as 20 ASCII bytes
padded with NULs ("NULL", "PLAIN", "CURVE"), the as-server flag (0 or 1) and 31 zero
filler bytes.  (ZMTP 1.0/2.0 peers are not claimed.)

This detector relies on each side's greeting: signature, version, mechanism, flag and
filler.  Both peers' greetings, agreeing on the mechanism, are claimed.
Metadata: version ("3.0"/"3.1", the lower), mechanism.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

GREETING = 64
MECHANISMS = (b"NULL", b"PLAIN", b"CURVE", b"GSSAPI")


def _greeting(d: bytes):
    """(minor, mechanism) of a greeting, MORE while it is a valid prefix, or None."""
    if d[0] != 0xFF:
        return None
    if len(d) > 9 and d[9] != 0x7F:
        return None
    if len(d) > 10 and d[10] != 3:
        return None                       # major version 3
    if len(d) > 11 and d[11] > 1:
        return None
    if len(d) < GREETING:
        # the mechanism's start must already be one of the known names
        mech = d[12:32].rstrip(b"\x00")
        if mech and not any(m.startswith(mech) or mech.startswith(m) for m in MECHANISMS):
            return None
        return MORE
    mech = d[12:32]
    name = mech.rstrip(b"\x00")
    if name not in MECHANISMS or mech[len(name):].strip(b"\x00"):
        return None
    if d[32] > 1 or d[33:64].strip(b"\x00"):
        return None                       # as-server is 0 or 1; the filler is zeros
    return d[11], dec(name)


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c and not s:
        return MORE
    seen = []
    for d in (c, s):
        if not d:
            continue
        g = _greeting(d)
        if g is None:
            return NO
        seen.append(g)
    if MORE in seen or len(seen) < 2:
        return MORE                       # both peers greet
    (m1, mech1), (m2, mech2) = seen
    if mech1 != mech2:
        return NO                         # peers must use the same mechanism
    return claim("zeromq", 0.95, version=f"3.{min(m1, m2)}", mechanism=mech1)


SPEC = DetectorSpec(name="zeromq", transports=("tcp",), probe=probe, max_bytes=256,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset({0xFF}), s2c=frozenset({0xFF})),
                    max_confidence=0.95)
