"""TLS ClientHello / ServerHello body parser shared by tls, dtls and quic.

One parser for both the probe and the metadata (Suricata style).  Parsing is tolerant
of truncation: extensions fully present are read, the rest ignored, and ``complete``
says whether the whole message was available.
"""
from __future__ import annotations

import struct

TLS_VERSIONS = {0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2",
                0x0304: "TLSv1.3", 0xFEFF: "DTLSv1.0", 0xFEFD: "DTLSv1.2",
                0xFEFC: "DTLSv1.3"}


def _grease(v: int) -> bool:
    # RFC 8701 GREASE values (0x0a0a, 0x1a1a, ...) must be ignored in version lists.
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def version_name(v: int) -> str:
    return TLS_VERSIONS.get(v, f"0x{v:04x}")


_U16X2 = struct.Struct(">HH").unpack_from
_WANTED = frozenset((0, 16, 43))


def parse_extensions(data: bytes, pos: int, end: int, hello: int, meta: dict) -> None:
    """Read SNI (0), ALPN (16) and supported_versions (43) into meta."""
    while pos + 4 <= end:
        etype, elen = _U16X2(data, pos)
        start = pos + 4
        pos = start + elen
        if pos > len(data):
            break                               # truncated extension: stop quietly
        if etype not in _WANTED:
            continue                            # skipped without copying its body
        body = data[start:pos]
        if etype == 0 and hello == 1 and len(body) >= 5:
            # server_name_list(2) name_type(1) host_name<2>
            nlen = int.from_bytes(body[3:5], "big")
            if body[2] == 0 and 0 < nlen <= len(body) - 5:
                meta["sni"] = body[5:5 + nlen].decode("latin-1")
        elif etype == 16 and len(body) >= 2:
            protos, i = [], 2
            while i < len(body):
                n = body[i]
                protos.append(body[i + 1:i + 1 + n].decode("latin-1"))
                i += 1 + n
            meta["alpn"] = protos
        elif etype == 43:
            if hello == 1 and body:
                vs = [int.from_bytes(body[i:i + 2], "big") for i in range(1, 1 + body[0] - 1, 2)]
                vs = [version_name(v) for v in vs if not _grease(v)]
                if vs:
                    meta["supported_versions"] = vs
            elif hello == 2 and len(body) == 2:
                meta["version"] = version_name(int.from_bytes(body, "big"))


def parse_hello(msg_type: int, body: bytes, dtls: bool = False) -> dict | None:
    """Parse a ClientHello (1) or ServerHello (2) body (after the 4-byte handshake
    header).  Returns metadata, or None when the fixed part is malformed."""
    if len(body) < 2 + 32 + 1:
        return {} if len(body) < 2 or _plausible_version(body) else None
    ver = int.from_bytes(body[0:2], "big")
    if not _plausible_version(body):
        return None                            # legacy_version must be SSLv3..TLS1.2 / DTLS
    meta: dict = {"hello": "client" if msg_type == 1 else "server",
                  "version": version_name(ver)}
    pos = 34
    sid = body[pos]
    if sid > 32:
        return None                            # session id is at most 32 bytes (RFC 8446)
    pos += 1 + sid
    if dtls and msg_type == 1:
        if pos >= len(body):
            return meta
        pos += 1 + body[pos]                   # DTLS cookie
    if msg_type == 1:
        if pos + 2 > len(body):
            return meta
        cs = int.from_bytes(body[pos:pos + 2], "big")
        if cs % 2 or cs == 0:
            return None                        # cipher_suites is a non-empty list of u16
        pos += 2 + cs
        if pos >= len(body):
            return meta
        pos += 1 + body[pos]                   # compression methods
    else:
        pos += 3                               # cipher suite + compression method
    if pos + 2 <= len(body):
        elen = int.from_bytes(body[pos:pos + 2], "big")
        parse_extensions(body, pos + 2, min(len(body), pos + 2 + elen), msg_type, meta)
    if "supported_versions" in meta and msg_type == 1:
        meta["version"] = meta["supported_versions"][0]
    return meta


def _plausible_version(body: bytes) -> bool:
    if len(body) < 2:
        return True
    # 0x0100 is OpenSSL's pre-RFC DTLS ("DTLS1_BAD_VER"), still seen in the wild.
    return body[0] == 3 and body[1] <= 4 or body[0] == 0xFE and body[1] >= 0xFC \
        or body[0] == 1 and body[1] == 0
