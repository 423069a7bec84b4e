"""QUIC (RFC 9000 / 9369, drafts, Google QUIC Q043-Q050) over UDP.

A long-header packet carries the version in clear.  For v1/v2/draft Initial packets
the client's Initial is decrypted with keys derived from public salts (RFC 9001 5.2) to
read the ClientHello (SNI, ALPN, and its JA4 fingerprint's "q" variant) from its CRYPTO
frames.  Decryption is metadata only:
the outcome never depends on it, so a missing ``cryptography`` package costs the SNI,
not the label.
"""
from __future__ import annotations

import hmac
import struct

from . import _fast
from .base import DetectorSpec, Gate, Prefilter

V1, V2 = 0x00000001, 0x6B3343CF
_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
_SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")
_SALT_D29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")
_SALT_D23 = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")


# version_name(v) -> "v1", "v2", "draft-N", Google's "Q050"/"T051", "grease"
# (0x?a?a?a?a), "mvfst-N", else "0x%08x".  Compiled: quic.pxi.
version_name = _fast.quic_version_name


def _known_version(v: int) -> bool:
    # Versions seen in the wild; an arbitrary 32-bit value after a 0xC0-0xFF byte is far
    # more often some other UDP protocol than an unknown QUIC version.
    return (v in (V1, V2) or v >> 8 == 0xFF0000 or v >> 8 == 0xFACEB0
            or (v >> 24 in (0x51, 0x54) and all(0x30 <= (v >> s) & 0xFF <= 0x39 for s in (16, 8, 0)))
            or v & 0x0F0F0F0F == 0x0A0A0A0A or v == 0)


def _salt(v: int):
    if v == V1:
        return _SALT_V1
    if v == V2:
        return _SALT_V2
    if v >> 8 == 0xFF0000:
        d = v & 0xFF
        return _SALT_D29 if d >= 29 else _SALT_D23 if d >= 23 else None
    return None


def _varint(b: bytes, i: int):
    if i >= len(b):
        raise IndexError
    n = 1 << (b[i] >> 6)
    if i + n > len(b):
        raise IndexError
    v = b[i] & 0x3F
    for k in range(1, n):
        v = (v << 8) | b[i + k]
    return v, i + n


def parse_long(dg: bytes):
    """Long header fields or None: (first, version, dcid, scid, pos after SCID)."""
    if len(dg) < 7 or not dg[0] & 0x80:
        return None                             # long headers set the top bit
    v = int.from_bytes(dg[1:5], "big")
    if v >> 24 in (0x51, 0x54):
        # Google QUIC Q046-Q050 long header: CID lengths are nibbles, not IETF bytes.
        return dg[0], v, b"", b"", 6
    dl = dg[5]
    if dl > 20 and v != 0:
        return None                             # v1 connection IDs are at most 20 bytes
    if 6 + dl >= len(dg):
        return None                             # the CIDs must fit the datagram
    dcid = dg[6:6 + dl]
    sl = dg[6 + dl]
    if sl > 20 and v != 0:
        return None
    scid = dg[7 + dl:7 + dl + sl]
    return dg[0], v, dcid, scid, 7 + dl + sl


def _gquic_legacy(dg: bytes):
    """Google QUIC <= Q043 public header: flags, 8-byte CID, 'Q0xx' version."""
    if len(dg) >= 13 and dg[0] & 0x01 and dg[0] & 0x08 and dg[9] == ord("Q") \
            and dg[10:13].isdigit():
        return dg[9:13].decode()
    return None


def _gquic_handshake(dg: bytes):
    """Google QUIC <= Q043 packets without the version flag (server side, or after
    negotiation) still carry the clear-text handshake tags CHLO / SHLO / REJ in their
    first stream frame."""
    if len(dg) > 32 and not dg[0] & 0x80 and dg[0] & 0x08:
        head = dg[9:64]
        if b"CHLO" in head or b"SHLO" in head or b"REJ\x00" in head:
            return "gquic"
    return None


def _hkdf_label(secret: bytes, label: bytes, length: int) -> bytes:
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.digest(secret, t + info + bytes([i]), "sha256")
        out += t
        i += 1
    return out[:length]


_CRYPTO = []          # (Cipher, algorithms, modes, AESGCM), imported on first use


def _crypto():
    if not _CRYPTO:
        try:
            from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            _CRYPTO.append((Cipher, algorithms, modes, AESGCM))
        except ImportError:
            _CRYPTO.append(None)
    return _CRYPTO[0]


# client_hello_meta([(datagram, long header fields), ...]) -> {sni, alpn,
# supported_versions} of the ClientHello carried by the client's Initials: keys derived
# once per version and DCID from the version's salt (RFC 9001 5.2, HKDF above), header
# protection removed (AES-ECB over the 16-byte sample), the payload opened with
# AES-GCM, CRYPTO frames collected by offset (PADDING, PING and ACK skipped) and
# reassembled from offset 0.  The AES work is done by ``cryptography``; the rest is
# compiled (quic.pxi).  {} without ``cryptography``.
client_hello_meta = _fast.quic_client_hello_meta


# probe(view, state): every datagram of both sides -- Google QUIC's clear version or
# handshake tags, or an IETF long header (CIDs inside the datagram) with a known
# version; a malformed long header is not QUIC.  The client's first three Initials of
# >= 1200 bytes are decrypted (client_hello_meta) for SNI, ALPN and versions.  1.0 with
# an Initial or headers in both directions, else 0.8.  Compiled: quic.pxi (the
# header walk, and the decryption of client_hello_meta above).
probe = _fast.quic_probe

_DIGITS = (0xFF, 0x30, 0x39)
# A lone datagram (a flood's) is claimed only as one of quic.pxi's shapes: Google QUIC's
# legacy public header (flags 0x09, "Q" and three digits at 9-12) or a handshake packet
# (version bit clear, 0x08 set, over 32 bytes); or a long header (7 bytes at least)
# with a known version: 1 or 0 (version negotiation), 2 (0x6b3343cf), a draft
# (0xff0000xx), Facebook's mvfst (0xfaceb0xx), Google's Q/T and three digits, or a
# reserved grease version (0x?a?a?a?a).  Anything else in a lone datagram is NO or MORE.
_LONE = (Gate(lone=True, min_len=13, bytes=((0, 0x09, 0x09, 0x09), (9, 0xFF, 0x51, 0x51),
                                            (10, *_DIGITS), (11, *_DIGITS), (12, *_DIGITS))),
         Gate(lone=True, min_len=33, bytes=((0, 0x88, 0x08, 0x08),)),
         Gate(lone=True, min_len=7, bytes=((0, 0x80, 0x80, 0x80), (1, 0xFF, 0, 0), (2, 0xFF, 0, 0),
                                           (3, 0xFF, 0, 0), (4, 0xFF, 0, 1))),
         Gate(lone=True, min_len=7, bytes=((0, 0x80, 0x80, 0x80), (1, 0xFF, 0x6B, 0x6B),
                                           (2, 0xFF, 0x33, 0x33), (3, 0xFF, 0x43, 0x43), (4, 0xFF, 0xCF, 0xCF))),
         Gate(lone=True, min_len=7, bytes=((0, 0x80, 0x80, 0x80), (1, 0xFF, 0xFF, 0xFF), (2, 0xFF, 0, 0),
                                           (3, 0xFF, 0, 0))),
         Gate(lone=True, min_len=7, bytes=((0, 0x80, 0x80, 0x80), (1, 0xFF, 0xFA, 0xFA),
                                           (2, 0xFF, 0xCE, 0xCE), (3, 0xFF, 0xB0, 0xB0))),
         Gate(lone=True, min_len=7, bytes=((0, 0x80, 0x80, 0x80), (1, 0xFF, 0x51, 0x54),
                                           (2, *_DIGITS), (3, *_DIGITS), (4, *_DIGITS))),
         Gate(lone=True, min_len=7, bytes=((0, 0x80, 0x80, 0x80), (1, 0x0F, 0x0A, 0x0A), (2, 0x0F, 0x0A, 0x0A),
                                           (3, 0x0F, 0x0A, 0x0A), (4, 0x0F, 0x0A, 0x0A))))


SPEC = DetectorSpec(name="quic", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=4,
                    prefilter=Prefilter(c2s=frozenset(range(0x80, 0x100)) | {0x08, 0x09, 0x0C, 0x0D},
                                        s2c=frozenset(range(0x80, 0x100)) | {0x08, 0x09, 0x0C, 0x0D}),
                    gate=_LONE)
