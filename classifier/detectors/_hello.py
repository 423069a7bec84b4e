"""TLS ClientHello / ServerHello body parser shared by tls, dtls and quic.

One parser for both the probe and the metadata (Suricata style).  Parsing is tolerant
of truncation: extensions fully present are read, the rest ignored, and ``complete``
says whether the whole message was available.
"""
from __future__ import annotations

from . import _fast

TLS_VERSIONS = {0x0002: "SSLv2", 0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2",
                0x0304: "TLSv1.3", 0xFEFF: "DTLSv1.0", 0xFEFD: "DTLSv1.2",
                0xFEFC: "DTLSv1.3"}


def version_name(v: int) -> str:
    return TLS_VERSIONS.get(v, f"0x{v:04x}")


# parse_hello(msg_type, body, dtls=False) -> metadata dict, or None when the fixed part
# is malformed: a ClientHello (1) or ServerHello (2) body after its 4-byte handshake
# header.  legacy_version must be SSLv3..TLS1.2 or DTLS, the session id at most 32
# bytes, a client's cipher_suites a non-empty even-length list; extensions fully
# present are read (SNI, ALPN, supported_versions without GREASE), the rest ignored.
# Compiled: _wire_tls.pxi.
parse_hello = _fast.hello_parse
