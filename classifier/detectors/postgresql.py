"""PostgreSQL frontend/backend protocol v3: the client's first message has no type
byte -- int32 length then a code: 196608 (protocol 3.0, StartupMessage with key/value
pairs), 80877103 (SSLRequest), 80877104 (GSSENCRequest), 80877102 (CancelRequest).
The server answers SSLRequest with one byte 'S' or 'N'.  Metadata: request, user,
database.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim, dec

CODES = {196608: "startup", 80877103: "ssl", 80877104: "gssenc", 80877102: "cancel"}
LENGTHS = {"ssl": 8, "gssenc": 8, "cancel": 16}


def probe(view, state):
    c = view.payload_c2s
    if len(c) < 8:
        return MORE if not c or c[:2] == b"\x00\x00"[:len(c[:2])] else NO
    n = int.from_bytes(c[0:4], "big")
    code = CODES.get(int.from_bytes(c[4:8], "big"))
    if code is None:
        return NO
    if code in LENGTHS:
        if n != LENGTHS[code]:
            return NO                      # these requests have fixed sizes
        s = view.payload_s2c
        if code == "ssl" and s and s[:1] not in (b"S", b"N", b"E"):
            return NO
        return claim("postgresql", 1.0, request=code)
    if n < 9 or n > 10000:
        return NO
    body = c[8:n]
    if len(c) < n:
        return MORE
    if not body.endswith(b"\x00"):
        return NO                          # parameter list ends with an empty name
    parts = body.split(b"\x00")
    kv = dict(zip(parts[0:-2:2], parts[1:-1:2]))
    if b"user" not in kv:
        return NO                          # "user" is the one required parameter
    return claim("postgresql", 1.0, request=code, user=dec(kv[b"user"]),
                 database=dec(kv[b"database"]) if b"database" in kv else None)


SPEC = DetectorSpec(name="postgresql", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0,))))
