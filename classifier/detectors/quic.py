"""QUIC (RFC 9000 / 9369, drafts, Google QUIC Q043-Q050) over UDP.

A long-header packet carries the version in clear.  For v1/v2/draft Initial packets
the client's Initial is decrypted with keys derived from public salts (RFC 9001 5.2) to
read the ClientHello (SNI, ALPN) from its CRYPTO frames.  Decryption is metadata only:
the verdict never depends on it, so a missing ``cryptography`` package costs the SNI,
not the label.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import struct

from . import _fast
from .base import DetectorSpec, Prefilter
from ._hello import parse_hello

V1, V2 = 0x00000001, 0x6B3343CF
_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
_SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")
_SALT_D29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")
_SALT_D23 = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")


def version_name(v: int) -> str:
    if v == V1:
        return "v1"
    if v == V2:
        return "v2"
    if v >> 8 == 0xFF0000:
        return f"draft-{v & 0xFF}"
    if v >> 24 == ord("Q") or v >> 24 == ord("T"):
        return v.to_bytes(4, "big").decode("latin-1")
    if v & 0x0F0F0F0F == 0x0A0A0A0A:
        return "grease"
    if v >> 8 == 0xFACEB0:
        return f"mvfst-{v & 0xFF}"
    return f"0x{v:08x}"


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
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
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


def initial_keys(v: int, dcid: bytes):
    """(AEAD, iv, header-protection encryptor factory) of a client's Initial packets,
    from the version's salt and the client's first destination CID (RFC 9001 5.2);
    None without a known salt or without ``cryptography``."""
    salt = _salt(v)
    lib = _crypto()
    if salt is None or lib is None:
        return None
    Cipher, algorithms, modes, AESGCM = lib
    initial = hmac.new(salt, dcid, hashlib.sha256).digest()
    client = _hkdf_label(initial, b"client in", 32)
    pfx = b"quicv2 " if v == V2 else b"quic "
    key = _hkdf_label(client, pfx + b"key", 16)
    iv = _hkdf_label(client, pfx + b"iv", 12)
    hp = _hkdf_label(client, pfx + b"hp", 16)
    return AESGCM(key), iv, Cipher(algorithms.AES(hp), modes.ECB())


def decrypt_initial(dg: bytes, hdr, keys=None) -> bytes | None:
    """Decrypt a client Initial's payload; return the frames, None on any failure.
    ``keys``: initial_keys() of the packet's version and DCID, when already derived."""
    first, v, dcid, _scid, pos = hdr
    if _salt(v) is None or _crypto() is None:
        return None
    try:
        tok_len, pos = _varint(dg, pos)
        pos += tok_len
        length, pos = _varint(dg, pos)
        if pos + length > len(dg) or length < 20:
            return None
        aead, iv, hp = keys or initial_keys(v, dcid)
        sample = dg[pos + 4:pos + 20]
        enc = hp.encryptor()
        mask = enc.update(sample) + enc.finalize()
        f = first ^ (mask[0] & 0x0F)
        pn_len = (f & 3) + 1
        pn = bytes(a ^ b for a, b in zip(dg[pos:pos + pn_len], mask[1:1 + pn_len]))
        header = bytes([f]) + dg[1:pos] + pn
        nonce = bytearray(iv)
        for k, b in enumerate(pn.rjust(12, b"\x00")):
            nonce[k] ^= b
        return aead.decrypt(bytes(nonce), dg[pos + pn_len:pos + length], header)
    except Exception:
        return None


_NON_PADDING = re.compile(rb"[^\x00]")


def crypto_frames(frames: bytes, chunks: dict) -> None:
    """Collect CRYPTO frame data by offset; skip PADDING/PING/ACK; stop on others."""
    i = 0
    try:
        while i < len(frames):
            t = frames[i]
            if t == 0x00:
                # PADDING fills most of an Initial: skip the whole run at once.
                m = _NON_PADDING.search(frames, i)
                i = m.start() if m else len(frames)
            elif t == 0x01:
                i += 1
            elif t == 0x06:
                off, i = _varint(frames, i + 1)
                n, i = _varint(frames, i)
                chunks[off] = frames[i:i + n]
                i += n
            elif t in (0x02, 0x03):
                _, i = _varint(frames, i + 1)       # largest acked
                _, i = _varint(frames, i)           # delay
                cnt, i = _varint(frames, i)
                _, i = _varint(frames, i)           # first range
                for _ in range(cnt * 2):
                    _, i = _varint(frames, i)
                if t == 0x03:
                    for _ in range(3):
                        _, i = _varint(frames, i)
            elif t == 0x1C:                          # CONNECTION_CLOSE
                return
            else:
                return
    except IndexError:
        return


def client_hello_meta(dgrams) -> dict:
    chunks: dict = {}
    keys: dict = {}           # a client's Initials share version and DCID: derive once
    for dg, hdr in dgrams:
        k = (hdr[1], hdr[2])
        if k not in keys and _salt(hdr[1]) is not None:
            try:
                keys[k] = initial_keys(hdr[1], hdr[2])
            except Exception:
                keys[k] = None
        frames = decrypt_initial(dg, hdr, keys.get(k))
        if frames:
            crypto_frames(frames, chunks)
    data = bytearray()
    for off in sorted(chunks):
        if off > len(data):
            break
        data += chunks[off][len(data) - off:]
    if len(data) < 4 or data[0] != 1:
        return {}
    hlen = int.from_bytes(data[1:4], "big")
    meta = parse_hello(1, bytes(data[4:4 + hlen])) or {}
    return {k: meta[k] for k in ("sni", "alpn", "supported_versions") if k in meta}


# probe(view, state): every datagram of both sides -- Google QUIC's clear version or
# handshake tags, or an IETF long header (CIDs inside the datagram) with a known
# version; a malformed long header is not QUIC.  The client's first three Initials of
# >= 1200 bytes are decrypted (client_hello_meta) for SNI, ALPN and versions.  1.0 with
# an Initial or headers in both directions, else 0.8.  Compiled: _fast_udp.pxi (the
# header walk; decryption stays here).
probe = _fast.quic_probe


SPEC = DetectorSpec(name="quic", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=4,
                    prefilter=Prefilter(c2s=frozenset(range(0x80, 0x100)) | {0x08, 0x09, 0x0C, 0x0D},
                                        s2c=frozenset(range(0x80, 0x100)) | {0x08, 0x09, 0x0C, 0x0D}))
