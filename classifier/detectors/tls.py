"""TLS over TCP (RFC 5246 / 8446): record layer, then ClientHello/ServerHello.

Either direction may carry the first record (mid-stream captures), so both are parsed.
Metadata: sni, alpn, version (negotiated, from ServerHello supported_versions when
present), client_version, supported_versions.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from ._hello import parse_hello

# Record content types: change_cipher_spec, alert, handshake, application_data.
_TYPES = (0x14, 0x15, 0x16, 0x17)
MAX_RECORD = 16384 + 2048      # TLSCiphertext limit (RFC 5246 6.2.3)


def _record_ok(data: bytes) -> bool | None:
    """True: valid record header; None: too short to say; False: not TLS."""
    if data[0] not in _TYPES:
        return False
    if len(data) < 5:
        # Record version major is always 3 (SSLv3..TLS1.3 all use 0x03xx on the wire).
        return None if len(data) < 2 or data[1] == 3 and (len(data) < 3 or data[2] <= 4) else False
    if data[1] != 3 or data[2] > 4:
        return False
    n = int.from_bytes(data[3:5], "big")
    # A zero-length record is illegal except for application data; an oversized one
    # means the bytes only happen to start like a record.
    return 0 < n <= MAX_RECORD


def _chain(data: bytes) -> tuple[int, bool]:
    """(number of valid record headers chaining from the start, whether the last one
    ends exactly at the end of data).  The last record may be cut by the budget."""
    pos = n = 0
    while pos + 5 <= len(data):
        if data[pos] not in _TYPES or data[pos + 1] != 3 or data[pos + 2] > 4:
            return 0, False
        ln = int.from_bytes(data[pos + 3:pos + 5], "big")
        if ln == 0 or ln > MAX_RECORD:
            return 0, False
        n += 1
        pos += 5 + ln
    return n, pos == len(data)


def handshake_bytes(data: bytes, limit: int = 4) -> bytes:
    """Concatenated payloads of the leading handshake records (a hello may span
    several records); stops once the first handshake message is complete, so a
    server's certificate records are not copied."""
    if len(data) >= 9 and data[0] == 0x16:
        n = int.from_bytes(data[3:5], "big")
        if 4 + int.from_bytes(data[6:9], "big") <= n:
            return data[5:5 + n]               # the common case: one record holds it
    out = bytearray()
    pos = 0
    need = None
    for _ in range(limit):
        if pos + 5 > len(data) or data[pos] != 0x16:
            break
        n = int.from_bytes(data[pos + 3:pos + 5], "big")
        out += data[pos + 5:pos + 5 + n]
        pos += 5 + n
        if need is None and len(out) >= 4:
            need = 4 + int.from_bytes(out[1:4], "big")
        if need is not None and len(out) >= need:
            break
    return bytes(out)


def parse_direction(data: bytes):
    """(verdict, meta) for one direction: 'match', 'more', 'no', 'weak' (valid
    non-handshake record, e.g. application data seen mid-stream)."""
    ok = _record_ok(data)
    if ok is None:
        return "more", None
    if not ok:
        return "no", None
    if data[0] != 0x16:
        # Mid-stream: alert/CCS/application-data records.  When several record headers
        # chain exactly through the bytes, that is TLS; one header alone is weak.
        n, exact = _chain(data)
        return ("chain" if n >= 2 or (n == 1 and exact) else "weak"), None
    hs = handshake_bytes(data)
    if len(hs) < 1:
        return "more", None
    if hs[0] not in (1, 2):
        # Other handshake messages (Certificate, encrypted Finished...) appear mid-stream.
        return "weak", None
    if len(hs) < 6:
        return "more", None
    hlen = int.from_bytes(hs[1:4], "big")
    if hlen < 38 or hlen > 1 << 17:
        return "no", None                      # a hello has at least version+random+sid
    meta = parse_hello(hs[0], hs[4:4 + hlen])
    if meta is None:
        # Inner fields malformed (e.g. an odd cipher_suites length) while the record
        # and handshake lengths agree: TLS from a broken or fuzzing client.
        n = int.from_bytes(data[3:5], "big")
        if n >= 4 + hlen:
            if len(hs) < 4 + hlen:
                return "more", None        # judge the message once it is all here
            return "match", {"malformed": True, "_complete": False}
        return "no", None
    # A hello parsed to its announced end is as certain as two directions agreeing.
    meta["_complete"] = len(hs) >= 4 + hlen
    return "match", meta


def probe(view, state):
    c_v, c_m = parse_direction(view.payload_c2s) if view.payload_c2s else ("none", None)
    s_v, s_m = parse_direction(view.payload_s2c) if view.payload_s2c else ("none", None)
    if "no" in (c_v, s_v):
        return NO
    if "match" in (c_v, s_v):
        meta = {}
        for m in (c_m, s_m):
            if m and m.get("hello") == "client":
                meta["client_version"] = m.get("version")
                meta.update({k: m[k] for k in ("sni", "alpn", "supported_versions") if k in m})
                meta["version"] = m.get("version")
        for m in (c_m, s_m):
            if m and m.get("hello") == "server":
                meta["version"] = m.get("version")
                if "alpn" in m:
                    meta["alpn_selected"] = m["alpn"][0] if m["alpn"] else None
        complete = any(m and m.get("_complete") for m in (c_m, s_m))
        if any(m and m.get("malformed") for m in (c_m, s_m)):
            return match("tls", 0.8, malformed=True, **meta)
        return match("tls", 1.0 if c_v == s_v == "match" or complete else 0.95, **meta)
    if "chain" in (c_v, s_v) and "more" not in (c_v, s_v):
        return match("tls", 0.75, midstream=True)
    if "more" in (c_v, s_v):
        return MORE
    if c_v in ("weak", "chain") and s_v in ("weak", "chain"):
        return match("tls", 0.6, midstream=True)
    return MORE                                # one weak direction: wait for the other


SPEC = DetectorSpec(name="tls", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(_TYPES),
                                                       s2c=frozenset(_TYPES)))
