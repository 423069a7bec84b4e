"""TLS over TCP (RFC 5246 / 8446): record layer, then ClientHello/ServerHello.

Either direction may carry the first record (mid-stream captures), so both are parsed.
Metadata: sni, alpn, version (negotiated, from ServerHello supported_versions when
present), client_version, supported_versions.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, match
from . import _fast

# Record content types: change_cipher_spec, alert, handshake, application_data.
_TYPES = (0x14, 0x15, 0x16, 0x17)

# parse_direction(data) -> (verdict, meta) for one direction: 'match', 'more', 'no',
# 'chain' (several record headers chaining through the bytes: mid-stream TLS) or 'weak'
# (one valid non-handshake record).  It checks the record header (content type, version
# 3.x, 0 < length <= 2^14 + 2048), joins the leading handshake records up to the end
# of the first handshake message and parses a Client/ServerHello with _hello; a hello
# whose inner fields are malformed while record and handshake lengths agree is still
# TLS ('match' with malformed=True).  Compiled: _fast_tls.pxi.
parse_direction = _fast.tls_parse_direction


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
