"""TLS over TCP (RFC 5246 / 8446): record layer, then ClientHello/ServerHello.

Either direction may carry the first record (mid-stream captures), so both are parsed.
Metadata: sni, alpn, version (negotiated, from ServerHello supported_versions when
present), client_version, supported_versions, and the fingerprints of each hello that
is all there: ja4 and ja3 (ClientHello), ja3s (ServerHello) -- _wire_tls_fingerprints.pxi.
"""
from __future__ import annotations

from .base import DetectorSpec, Prefilter
from . import _fast

# Record content types: change_cipher_spec, alert, handshake, application_data.
_TYPES = (0x14, 0x15, 0x16, 0x17)

# parse_direction(data) -> (outcome, meta) for one direction: 'match', 'more', 'no',
# 'chain' (several record headers chaining through the bytes: mid-stream TLS) or 'weak'
# (one valid non-handshake record).  It checks the record header (content type, version
# 3.x, 0 < length <= 2^14 + 2048), joins the leading handshake records up to the end
# of the first handshake message and parses a Client/ServerHello with _hello; a hello
# whose inner fields are malformed while record and handshake lengths agree is still
# TLS ('match' with malformed=True).  Compiled: _wire_tls.pxi.
parse_direction = _fast.tls_parse_direction


# probe(view, state): both directions parsed; "no" in either is not TLS; a hello in
# either is a match (1.0 when both directions are hellos or one parsed to its end,
# else 0.95; 0.8 for a malformed hello), with client_version, sni, alpn,
# supported_versions, the negotiated version and alpn_selected; record headers chaining
# through the bytes without a hello: a mid-stream match (0.75; 0.6 when both
# directions hold one weak record).  Compiled: tls.pxi.
probe = _fast.tls_probe_resync

# The same on a view with a mid-stream direction (FlowView.midstream) that tls_probe
# does not match: from the first offset where record headers chain (two or more, one
# version), probed again; a match there is mid-stream TLS at 0.7.  Compiled:
# tls.pxi (tls_probe_resync).


# sslv2_hello(data) -> the offered version's name, None or "more": an SSLv2-format
# ClientHello (RFC 5246 E.2; 2-byte header with the high bit set, msg_type 1, version
# 0x0002 or 3.x, cipher-spec/session-id/challenge lengths adding up to the header's).
# A client opening with one is TLS (0.9; 1.0 when a TLS ServerHello answers), with
# sslv2_hello=True.  Compiled: _wire_tls.pxi.
sslv2_hello = _fast.tls_sslv2_hello


# The client's first byte: a record type, or an SSLv2 header's high bit.
SPEC = DetectorSpec(name="tls", transports=("tcp",), probe=probe, max_bytes=4096,
                    max_packets=6, prefilter=Prefilter(c2s=frozenset(_TYPES) | frozenset(range(0x80, 0x100)),
                                                       s2c=frozenset(_TYPES)),
                    resync=True)
