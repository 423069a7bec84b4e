"""Fingerprints in the TLS, QUIC and SSH metadata: JA3/JA3S (Salesforce), JA4 (FoxIO,
TLS and QUIC), HASSH/hasshServer (Salesforce), checked against the specifications'
published examples and, on real captures, against tshark's own fields."""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
import sys

import pytest

from classifier.detectors import _fast, ssh
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
NDPI = os.path.normpath(os.path.join(ROOT, "..", "shared", "ndpi-dev", "pcaps"))


def u16(v: int) -> bytes:
    return v.to_bytes(2, "big")


def ext(t: int, body: bytes) -> bytes:
    return u16(t) + u16(len(body)) + body


def hello_body(version: int, ciphers, exts, server: bool = False) -> bytes:
    """A Client/ServerHello body (after the 4-byte handshake header)."""
    eb = b"".join(ext(t, b) for t, b in exts)
    if server:
        return u16(version) + bytes(32) + b"\x00" + u16(ciphers[0]) + b"\x00" + u16(len(eb)) + eb
    return (u16(version) + bytes(32) + b"\x00" + u16(2 * len(ciphers)) + b"".join(u16(c) for c in ciphers)
            + b"\x01\x00" + u16(len(eb)) + eb)


def record(msg_type: int, body: bytes) -> bytes:
    hs = bytes([msg_type]) + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + u16(len(hs)) + hs


def sni(name: bytes) -> bytes:
    return u16(len(name) + 3) + b"\x00" + u16(len(name)) + name


def alpn(*names: bytes) -> bytes:
    lst = b"".join(bytes([len(n)]) + n for n in names)
    return u16(len(lst)) + lst


def u16list(vals) -> bytes:
    return u16(2 * len(vals)) + b"".join(u16(v) for v in vals)


# FoxIO's JA4 example (technical_details/JA4.md): ciphers and extensions in the order
# sent, GREASE added in front of both lists (it must be ignored).
JA4_CIPHERS = [0x0A0A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
               0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
JA4_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


def ja4_example_exts():
    bodies = {0x0000: sni(b"example.com"), 0x0010: alpn(b"h2", b"http/1.1"),
              0x000D: u16list(JA4_SIGALGS), 0x002B: b"\x06" + u16(0x2A2A) + u16(0x0304) + u16(0x0303),
              0x000A: u16list([0x3A3A, 29, 23, 24]), 0x000B: b"\x01\x00"}
    order = [0x2A2A, 0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005,
             0x0023, 0x0012, 0x002B, 0xFF01, 0x000B, 0x000A, 0x0015]
    return [(t, bodies.get(t, b"")) for t in order]


def test_ja4_matches_the_specification_example():
    fp = _fast.tls_fingerprints(1, hello_body(0x0303, JA4_CIPHERS, ja4_example_exts()))
    assert fp["ja4"] == "t13d1516h2_8daaf6152771_e5627efa2ab1"


def test_ja4_without_signature_algorithms_has_no_underscore_in_the_hashed_text():
    exts = [(t, b) for t, b in ja4_example_exts() if t != 0x000D]
    fp = _fast.tls_fingerprints(1, hello_body(0x0303, JA4_CIPHERS, exts))
    text = "0005,000a,000b,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"
    assert fp["ja4"].split("_")[2] == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert fp["ja4"].startswith("t13d1515h2_")


@pytest.mark.parametrize("first,want", [
    (b"h2", "h2"), (b"http/1.1", "h1"), (b"h", "hh"), (b"", "00"),
    (b"\xab", "ab"), (b"\xab\xcd", "ad"), (b"\x30\xab", "3b"), (b"\x30\x31\xab\xcd", "3d"),
    (b"\x30\xab\xcd\x31", "01"),                           # the specification's cases
])
def test_ja4_alpn_characters(first, want):
    exts = [(0x0010, alpn(first, b"h2"))]
    fp = _fast.tls_fingerprints(1, hello_body(0x0303, [0x1301], exts))
    assert fp["ja4"][8:10] == want


def test_ja4_without_sni_alpn_or_ciphers():
    fp = _fast.tls_fingerprints(1, hello_body(0x0301, [0x0A0A], []))
    assert fp["ja4"] == "t10i000000_000000000000_000000000000"


def test_ja3_matches_the_specification_example():
    # salesforce/ja3 README: "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
    ciphers = [0x5A5A, 47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4]
    exts = [(0, sni(b"a.example")), (0x1A1A, b""), (10, u16list([0x6A6A, 23, 24, 25])), (11, b"\x01\x00")]
    fp = _fast.tls_fingerprints(1, hello_body(0x0301, ciphers, exts))
    assert fp["ja3"] == "ada70206e40642a3e4461f35503241d5"


def test_ja3s_matches_the_specification_example():
    # salesforce/ja3 README: "769,47,65281-0-11-35-5-16" => 836ce314215654b5b1f85f97c73e506f
    exts = [(65281, b"\x00"), (0, b""), (11, b"\x01\x00"), (35, b""), (5, b""), (16, alpn(b"h2"))]
    fp = _fast.tls_fingerprints(2, hello_body(0x0301, [47], exts, server=True))
    assert fp == {"ja3s": "836ce314215654b5b1f85f97c73e506f"}


def test_tls_probe_carries_the_fingerprints_and_keeps_the_label():
    client = record(1, hello_body(0x0303, JA4_CIPHERS, ja4_example_exts()))
    server = record(2, hello_body(0x0303, [0x1301], [(43, u16(0x0304))], server=True))
    lab = Engine().classify(FlowView.tcp(client, server))
    assert (lab.protocol, lab.confidence) == ("tls", 1.0)
    assert lab.metadata["ja4"] == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert len(lab.metadata["ja3"]) == 32 and len(lab.metadata["ja3s"]) == 32
    # A hello cut short (the byte budget, a lost segment): the label, no fingerprint.
    cut = Engine().classify(FlowView.tcp(client[:-10], b""))
    assert cut.protocol == "tls" and not {"ja3", "ja4", "ja3s"} & set(cut.metadata)


def test_quic_initial_gives_the_q_variant_of_ja4():
    pytest.importorskip("cryptography")
    from test_quic import RFC_DCID, client_hello, protect_initial
    from classifier.detectors import quic
    ch = client_hello(b"quic.portlens.test", b"h3")
    dg = protect_initial(quic.V1, RFC_DCID, b"\x06\x00" + struct.pack(">H", 0x4000 | len(ch)) + ch)
    lab = Engine().classify(FlowView.udp([dg]))
    tcp = _fast.tls_fingerprints(1, ch[4:])["ja4"]
    assert lab.metadata["ja4"] == "q" + tcp[1:] and tcp.startswith("t13d0103h3_")


# --- HASSH --------------------------------------------------------------------------
# salesforce/hassh README, example 1 (Cyberduck 6.7.1): hasshAlgorithms and its MD5.
CYBERDUCK = [
    b"curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp521,ecdh-sha2-nistp384,"
    b"ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,"
    b"diffie-hellman-group14-sha256,diffie-hellman-group15-sha512,diffie-hellman-group16-sha512,"
    b"diffie-hellman-group17-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256@ssh.com,"
    b"diffie-hellman-group15-sha256,diffie-hellman-group15-sha256@ssh.com,diffie-hellman-group15-sha384@ssh.com,"
    b"diffie-hellman-group16-sha256,diffie-hellman-group16-sha384@ssh.com,diffie-hellman-group16-sha512@ssh.com,"
    b"diffie-hellman-group18-sha512@ssh.com",
    b"aes128-cbc,aes128-ctr,aes192-cbc,aes192-ctr,aes256-cbc,aes256-ctr,blowfish-cbc,blowfish-ctr,cast128-cbc,"
    b"cast128-ctr,idea-cbc,idea-ctr,serpent128-cbc,serpent128-ctr,serpent192-cbc,serpent192-ctr,serpent256-cbc,"
    b"serpent256-ctr,3des-cbc,3des-ctr,twofish128-cbc,twofish128-ctr,twofish192-cbc,twofish192-ctr,twofish256-cbc,"
    b"twofish256-ctr,twofish-cbc,arcfour,arcfour128,arcfour256",
    b"hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256,hmac-sha2-512",
    b"zlib@openssh.com,zlib,none",
]


def kexinit(kex, enc_c, enc_s, mac_c, mac_s, comp_c, comp_s) -> bytes:
    """An SSH binary packet holding SSH_MSG_KEXINIT (RFC 4253 7.1)."""
    lists = [kex, b"ssh-ed25519", enc_c, enc_s, mac_c, mac_s, comp_c, comp_s, b"", b""]
    payload = bytes([20]) + bytes(16) + b"".join(struct.pack(">I", len(x)) + x for x in lists) + b"\x00" + bytes(4)
    pad = 8 - (len(payload) + 5) % 8 + 8
    return struct.pack(">IB", len(payload) + pad + 1, pad) + payload + bytes(pad)


def test_hassh_matches_the_specification_example():
    kex, enc, mac, comp = CYBERDUCK
    c2s = b"SSH-2.0-Cyberduck/6.7.1.28683\r\n" + kexinit(kex, enc, b"aes256-ctr", mac, b"hmac-sha1", comp, b"none")
    # The server's lists differ per direction, so the wrong one would show.
    s2c = b"SSH-2.0-OpenSSH_5.3\r\n" + kexinit(b"diffie-hellman-group1-sha1", b"aes128-ctr", b"3des-cbc",
                                                b"hmac-md5", b"umac-64@openssh.com", b"zlib", b"none,zlib@openssh.com")
    lab = Engine().classify(FlowView.tcp(c2s, s2c))
    assert (lab.protocol, lab.confidence) == ("ssh", 1.0)
    assert lab.metadata["hassh"] == "8a8ae540028bf433cd68356c1b9e8d5b"
    want = b"diffie-hellman-group1-sha1;3des-cbc;umac-64@openssh.com;none,zlib@openssh.com"
    assert lab.metadata["hassh_server"] == hashlib.md5(want).hexdigest()


def test_hassh_needs_the_whole_kexinit_lists():
    kex, enc, mac, comp = CYBERDUCK
    c2s = b"SSH-2.0-x\r\n" + kexinit(kex, enc, enc, mac, mac, comp, comp)
    whole = ssh.probe(FlowView.tcp(c2s, b""), {})
    assert "hassh" in whole.metadata
    for cut in (len(c2s) - 1500, 12, 40):
        r = ssh.probe(FlowView.tcp(c2s[:cut], b""), {})
        assert r.protocol == "ssh" and r.confidence == whole.confidence and "hassh" not in r.metadata
    other = b"SSH-2.0-x\r\n" + struct.pack(">IB", 12, 4) + bytes([21]) + bytes(40)   # not a KEXINIT
    assert "hassh" not in ssh.probe(FlowView.tcp(other, b""), {}).metadata


# --- against tshark on real captures -------------------------------------------------
def _tshark_captures():
    corpus = os.path.join(ROOT, "pcaps", "corpus")
    names = [f"tls-{i}.pcap" for i in range(1, 6)] + [f"ssh-{i}.pcap" for i in range(1, 6)] \
        + ["mismatch-tls-on-22.pcap", "mismatch-ssh-on-443.pcap"]
    out = [os.path.join(corpus, n) for n in names if os.path.exists(os.path.join(corpus, n))]
    if os.path.isdir(NDPI):          # real browsers and apps (never copied into the repo)
        out += [os.path.join(NDPI, n) for n in ("reddit.pcap", "webex.pcap", "signal.pcap")
                if os.path.exists(os.path.join(NDPI, n))]
    return out


@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed (Debian: apt-get install tshark)")
def test_fingerprints_agree_with_tshark_on_real_captures():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import tshark_fingerprints
    stats = tshark_fingerprints.compare(_tshark_captures())
    for key, s in stats.items():
        assert s["differ"] == [], key
    assert stats["ja3"]["both"] >= 5 and stats["ja3s"]["both"] >= 5
    assert stats["hassh"]["both"] >= 1 and stats["hassh_server"]["both"] >= 1


def test_remembered_fingerprints_are_per_input_and_not_shared():
    # The compiled memo keys on every input: two hellos differing in one field differ.
    a = hello_body(0x0303, JA4_CIPHERS, ja4_example_exts())
    b = hello_body(0x0303, JA4_CIPHERS[:-1], ja4_example_exts())
    c = hello_body(0x0303, JA4_CIPHERS, [(t, alpn(b"h3")) if t == 0x0010 else (t, x) for t, x in ja4_example_exts()])
    first = _fast.tls_fingerprints(1, a)
    first["ja4"] = "changed by a caller"
    assert _fast.tls_fingerprints(1, a)["ja4"] == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert _fast.tls_fingerprints(1, b)["ja4"].startswith("t13d1416h2_")
    assert _fast.tls_fingerprints(1, c)["ja4"].startswith("t13d1516h3_")
    assert _fast.tls_fingerprints(1, a, "q")["ja4"].startswith("q13d")
