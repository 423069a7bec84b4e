"""QUIC Initial decryption (RFC 9001 5): key schedule against the RFC's Appendix A
vectors, and SNI/ALPN read back from a client Initial protected with those keys."""
from __future__ import annotations

import hashlib
import hmac
import struct

import pytest

from classifier.detectors import quic
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView

crypto = pytest.importorskip("cryptography")
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

RFC_DCID = bytes.fromhex("8394c8f03e515708")      # RFC 9001 A.1


def test_initial_keys_match_rfc9001_appendix_a():
    initial = hmac.new(quic._SALT_V1, RFC_DCID, hashlib.sha256).digest()
    client = quic._hkdf_label(initial, b"client in", 32)
    assert client.hex() == "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
    assert quic._hkdf_label(client, b"quic key", 16).hex() == "1f369613dd76d5467730efcbe3b1a22d"
    assert quic._hkdf_label(client, b"quic iv", 12).hex() == "fa044b2f42a3fd3b46fb255c"
    assert quic._hkdf_label(client, b"quic hp", 16).hex() == "9f50449e04a0e810283a1e9933adedd2"


def client_hello(sni: bytes, alpn: bytes) -> bytes:
    """A TLS 1.3 ClientHello handshake message (RFC 8446 4.1.2)."""
    def ext(t, body):
        return struct.pack(">HH", t, len(body)) + body
    sni_ext = ext(0, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni)
    alpn_ext = ext(16, struct.pack(">HB", len(alpn) + 1, len(alpn)) + alpn)
    sv_ext = ext(43, b"\x02\x03\x04")
    exts = sni_ext + alpn_ext + sv_ext
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
            + struct.pack(">H", len(exts)) + exts)
    return b"\x01" + len(body).to_bytes(3, "big") + body


def protect_initial(version: int, dcid: bytes, frames: bytes) -> bytes:
    """Build and protect a client Initial packet (RFC 9001 5.3, 5.4)."""
    salt = quic._salt(version)
    pfx = b"quicv2 " if version == quic.V2 else b"quic "
    initial = hmac.new(salt, dcid, hashlib.sha256).digest()
    secret = quic._hkdf_label(initial, b"client in", 32)
    key = quic._hkdf_label(secret, pfx + b"key", 16)
    iv = quic._hkdf_label(secret, pfx + b"iv", 12)
    hp = quic._hkdf_label(secret, pfx + b"hp", 16)
    pn = b"\x00\x00\x00\x02"
    frames += bytes(1162 - len(frames))           # PADDING frames: datagram >= 1200
    length = len(pn) + len(frames) + 16
    ptype = 0b01 if version == quic.V2 else 0b00   # Initial packet type (RFC 9369 3.2)
    first = 0xC0 | (ptype << 4) | (len(pn) - 1)
    header = (bytes([first]) + version.to_bytes(4, "big") + bytes([len(dcid)]) + dcid
              + b"\x00" + b"\x00" + struct.pack(">H", 0x4000 | length) + pn)
    nonce = bytes(a ^ b for a, b in zip(iv, pn.rjust(12, b"\x00")))
    payload = AESGCM(key).encrypt(nonce, frames, header)
    pn_off = len(header) - len(pn)
    sample = payload[4 - len(pn):4 - len(pn) + 16]
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    hdr = bytearray(header)
    hdr[0] ^= mask[0] & 0x0F
    for i in range(len(pn)):
        hdr[pn_off + i] ^= mask[1 + i]
    return bytes(hdr) + payload


@pytest.mark.parametrize("version,name", [(quic.V1, "v1"), (quic.V2, "v2"), (0xFF00001D, "draft-29")])
def test_sni_and_alpn_from_a_protected_initial(version, name):
    ch = client_hello(b"quic.portlens.test", b"h3")
    crypto_frame = b"\x06\x00" + struct.pack(">H", 0x4000 | len(ch)) + ch
    dg = protect_initial(version, RFC_DCID, crypto_frame)
    assert len(dg) >= 1200 and b"portlens" not in dg     # really encrypted
    label = Engine().classify(FlowView.udp([dg]))
    assert label.protocol == "quic" and label.confidence == 1.0
    assert label.metadata["version"] == name
    assert label.metadata["sni"] == "quic.portlens.test"
    assert label.metadata["alpn"] == ["h3"]


def test_client_hello_split_over_two_initials():
    ch = client_hello(b"split.portlens.test", b"h3")
    half = len(ch) // 2
    f1 = b"\x06\x00" + struct.pack(">H", 0x4000 | half) + ch[:half]
    f2 = b"\x06" + struct.pack(">H", 0x4000 | half) + struct.pack(">H", 0x4000 | (len(ch) - half)) + ch[half:]
    dgs = [protect_initial(quic.V1, RFC_DCID, f1), protect_initial(quic.V1, RFC_DCID, f2)]
    label = Engine().classify(FlowView.udp(dgs))
    assert label.metadata.get("sni") == "split.portlens.test"


def test_corrupted_initial_keeps_the_label_but_not_the_sni():
    ch = client_hello(b"quic.portlens.test", b"h3")
    dg = bytearray(protect_initial(quic.V1, RFC_DCID, b"\x06\x00" + struct.pack(">H", 0x4000 | len(ch)) + ch))
    dg[100] ^= 0xFF                                   # AEAD tag check fails
    r = quic.probe(FlowView.udp([bytes(dg)]), {})
    assert r.outcome == Outcome.MATCH and "sni" not in r.metadata
