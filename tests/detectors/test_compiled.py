"""The compiled parts of the detectors (classifier/detectors/_fast.pyx) against their
pure-Python originals:

* each compiled parser gives exactly the oracle's answer (reference_parsers.py) on the
  fixtures, every prefix of them, and hypothesis-generated and mutated bytes;
* the compiled budget cut equals reference_parsers.budget_view;
* the batch path (records and payload arena read in C) gives every flow of every
  capture the same Label as the per-flow path through classifier.flows.Flow objects.
"""
from __future__ import annotations

import glob
import os
import struct

import pytest

import reference_parsers as ref
from classifier.detectors import _dnsfamily, _dnswire, _hello, tls
from classifier.detectors import engine as E
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES, mutate

HERE = os.path.dirname(os.path.abspath(__file__))


def units(view):
    """Every byte string a parser may be handed for a view: datagrams and streams."""
    out = [d for d in list(view.datagrams_c2s) + list(view.datagrams_s2c) if d]
    out += [d for d in (view.payload_c2s, view.payload_s2c) if d]
    return out


SAMPLES = sorted({u for fx in FIXTURES for u in units(fx.view)})
PREFIXES = sorted({u[:k] for u in SAMPLES for k in range(1, min(len(u), 160))})


def same(a, b) -> bool:
    """Equal values AND equal dict key order (the output's byte layout follows it)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def tls_hello_bodies(data: bytes):
    """Hello bodies inside a TLS stream, and DTLS-style bodies at every offset."""
    hs = ref.handshake_bytes(data) if data[:1] == b"\x16" else b""
    if len(hs) >= 4:
        yield hs[0], hs[4:]
    for k in range(0, min(len(data), 64)):
        yield 1, data[k:]


# ----------------------------------------------------------------------------- DNS
@pytest.mark.parametrize("data", SAMPLES + PREFIXES[::7], ids=lambda d: d[:6].hex())
def test_dns_parse_matches_the_oracle(data):
    assert same(_dnswire.parse(data), ref.parse(data))


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_dns_parse_all_matches_the_oracle(fx):
    for view in (fx.view, FlowView("tcp", fx.view.payload_c2s, fx.view.payload_s2c),
                 FlowView.udp(units(fx.view)[:4])):
        assert same(_dnsfamily._parse_all(view), ref._parse_all(view))


def dns_messages(data):
    """The message the oracle parses out of ``data`` (raw, and behind a TCP length)."""
    for m in (ref.parse(data), ref.parse(data[2:])):
        if m is not None and m != ref.MORE_NEEDED:
            yield m


@pytest.mark.parametrize("data", SAMPLES + PREFIXES[::7], ids=lambda d: d[:6].hex())
def test_dns_flavour_and_describe_match_the_oracle(data):
    for m in dns_messages(data):
        assert _dnswire.flavour(m) == ref.flavour(m)
        assert same(_dnswire.describe(m), ref.describe(m))


# ---------------------------------------------------------------------------- HTTP
def http_fields(m):
    if m is None or isinstance(m, str):
        return m
    return (m.kind, m.method, m.target, m.proto, m.version, m.status, list(m.headers.items()))


HTTP_SAMPLES = [
    b"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent:  x y \r\nhost: b\r\n\r\nbody",
    b"HTTP/1.0 200\r\nServer: s\r\n", b"HTTP/1.1 404 Not Found\r\n\r\n", b"HTTP/1.1 2000\r\n",
    b"RTSP/1.0 200 OK\nCSeq: 1\nServer:x", b"OPTIONS * RTSP/1.0\r\n", b"GET  / HTTP/1.1\r\n",
    b"G / HTTP/1.1\r\n", b"GET /\t/ HTTP/1.1\r\n", b"GET / HTTPS/1.1\r\n", b"GET / HTTPSSS/1.1\r\n",
    b"GET / HTTP/1.1 \r\n", b"GET / HTTP/1.1\r\r\r\n", b"NOTIFY * HTTP/1.1\r\nNT: a\r\nUSN:b\r\nbad line\r\n: x\r\n\r\n",
    b"ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n", b"ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n", b"GET", b"GET /",
    b"get / HTTP/1.1", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"A-B_C/", b"\x16\x03\x01", b"INVITE sip:x SIP/2.0\r\nf: <a>\r\nt:b\r\ni: c\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 50, b"GET /" + b"a" * 8001 + b" HTTP/1.1\r\n", b"GET /" + b"a" * 7999 + b" HTTP/1.1\r\n",
]


@pytest.mark.parametrize("data", HTTP_SAMPLES + SAMPLES + PREFIXES[::5], ids=lambda d: d[:6].hex())
def test_http_parse_matches_the_oracle(data):
    from classifier.detectors import _httpmsg
    assert same(http_fields(_httpmsg.parse(data)), http_fields(ref.http_parse(data)))
    for k in range(0, len(data), max(1, len(data) // 40)):
        assert same(http_fields(_httpmsg.parse(data[:k])), http_fields(ref.http_parse(data[:k])))


# --------------------------------------------------------- line helpers (_banner)
BANNER_SAMPLES = [b"220 ftp ready\r\n", b"220-a\r\n220-b\r\n220 c\r\n", b"USER x\r\npass y\nQuIt\r\n",
                  b"  user\t x\r\n\r\n \n\x0b\x0cNOOP\x0b \r\n", b"599 x\n600 y\n", b"099 x\n", b"220\r\n",
                  b"220 \r\r\n", b"220-\n", b"2x0 a\n", b"220\t\n", b"ehlo\xe9\xff y\n" * 20, b"a\nb"]


@pytest.mark.parametrize("data", BANNER_SAMPLES + SAMPLES, ids=lambda d: d[:6].hex())
def test_banner_line_helpers_match_the_oracle(data):
    from classifier.detectors import _banner
    for k in range(0, len(data) + 1, max(1, len(data) // 30)):
        for limit in (1, 8, 16, 32):
            assert same(_banner.commands(data[:k], limit), ref.banner_commands(data[:k], limit))
            assert same(_banner.reply_lines(data[:k], limit), ref.banner_reply_lines(data[:k], limit))
    assert same(_banner.commands(bytearray(data)), ref.banner_commands(bytearray(data)))
    assert same(_banner.reply_lines(bytearray(data)), ref.banner_reply_lines(bytearray(data)))


# ----------------------------------------------------------------------------- TLS
@pytest.mark.parametrize("data", SAMPLES + PREFIXES[::5], ids=lambda d: d[:6].hex())
def test_tls_parse_direction_matches_the_oracle(data):
    assert same(tls.parse_direction(data), ref.parse_direction(data))


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: d[:6].hex())
def test_parse_hello_matches_the_oracle(data):
    for t, body in tls_hello_bodies(data):
        for dtls in (False, True):
            assert same(_hello.parse_hello(t, body, dtls), ref.parse_hello(t, body, dtls))


# ---------------------------------------------------------- QUIC Initial decryption
def quic_initials():
    """Protected client Initials (test_quic's builder): v1, v2, draft-29; one CRYPTO
    frame, a ClientHello split over two Initials, PING/ACK frames before it, a
    CONNECTION_CLOSE, a CRYPTO frame past the end."""
    import struct
    from classifier.detectors import quic
    from test_quic import RFC_DCID, client_hello, protect_initial
    ch = client_hello(b"quic.portlens.test", b"h3")
    whole = b"\x06\x00" + struct.pack(">H", 0x4000 | len(ch)) + ch
    half = len(ch) // 2
    f1 = b"\x06\x00" + struct.pack(">H", 0x4000 | half) + ch[:half]
    f2 = b"\x06" + struct.pack(">H", 0x4000 | half) + struct.pack(">H", 0x4000 | (len(ch) - half)) + ch[half:]
    out = []
    for v in (quic.V1, quic.V2, 0xFF00001D, 0xFF000017):
        for frames in (whole, f2, f1, b"\x01\x02\x05\x00\x01\x00\x03\x01\x01\x02\x01\x05\x06\x07" + whole,
                       b"\x1c\x00" + whole, b"\x06\x00\x7f\xff" + ch):
            dg = protect_initial(v, RFC_DCID, frames)
            out.append((dg, quic.parse_long(dg)))
    return out


QUIC_INITIALS = quic_initials()


def test_quic_initials_decrypt():
    from classifier.detectors import quic
    assert quic.client_hello_meta(QUIC_INITIALS[:1])["sni"] == "quic.portlens.test"
    assert quic.client_hello_meta(QUIC_INITIALS[1:3])["sni"] == "quic.portlens.test"


@pytest.mark.parametrize("k", range(len(QUIC_INITIALS)))
def test_quic_client_hello_meta_matches_the_oracle(k):
    from classifier.detectors import quic
    dg, hdr = QUIC_INITIALS[k]
    want = ref.quic_client_hello_meta([(dg, hdr)])
    assert same(quic.client_hello_meta([(dg, hdr)]), want)
    assert same(quic.client_hello_meta(QUIC_INITIALS[k:k + 3]), ref.quic_client_hello_meta(QUIC_INITIALS[k:k + 3]))
    # Damaged: every header byte, the first payload bytes, cuts, a wrong DCID.
    for pos in list(range(0, min(hdr[4] + 8, len(dg)))) + [hdr[4] + 30, len(dg) - 1]:
        for val in (0x00, 0x3F, 0x40, 0x80, 0xFF):
            bad = dg[:pos] + bytes([val]) + dg[pos + 1:]
            h = (bad[0],) + hdr[1:] if pos == 0 else hdr
            assert same(quic.client_hello_meta([(bad, h)]), ref.quic_client_hello_meta([(bad, h)])), (pos, val)
    for cut in (hdr[4], hdr[4] + 1, hdr[4] + 3, hdr[4] + 25, 1199, len(dg) - 1):
        assert same(quic.client_hello_meta([(dg[:cut], hdr)]), ref.quic_client_hello_meta([(dg[:cut], hdr)]))
    h = hdr[:2] + (hdr[2][:-1] + b"x",) + hdr[3:]
    assert same(quic.client_hello_meta([(dg, h)]), ref.quic_client_hello_meta([(dg, h)]))


# -------------------------------------------------------------------- whole probes
def _probes():
    from classifier.detectors import detector_list
    specs = {s.name: s for s in detector_list.SPECS}
    out = [(n, specs[n].probe, ref.make_probe(n, c)) for n, c in
           (("mdns", 0.95), ("llmnr", 0.9), ("netbios-ns", 0.95), ("dns", 0.9))]
    out += [("slp", specs["slp"].probe, ref.slp_probe), ("stun", specs["stun"].probe, ref.stun_probe),
            ("tls", specs["tls"].probe, ref.tls_probe), ("ike", specs["ike"].probe, ref.ike_probe),
            ("rtp", specs["rtp"].probe, ref.rtp_probe), ("smallchat", specs["smallchat"].probe, ref.smallchat_probe),
            ("openvpn", specs["openvpn"].probe, ref.openvpn_probe), ("quic", specs["quic"].probe, ref.quic_probe),
            ("bittorrent", specs["bittorrent"].probe, ref.bittorrent_probe),
            ("memcached", specs["memcached"].probe, ref.memcached_probe),
            ("dtls", specs["dtls"].probe, ref.dtls_probe), ("radius", specs["radius"].probe, ref.radius_probe),
            ("http", specs["http"].probe, ref.http_probe),
            ("http-proxy", specs["http-proxy"].probe, ref.http_proxy_probe),
            ("rtsp", specs["rtsp"].probe, ref.rtsp_probe), ("sip", specs["sip"].probe, ref.sip_probe),
            ("wireguard", specs["wireguard"].probe, ref.wireguard_probe),
            ("mongodb", specs["mongodb"].probe, ref.mongodb_probe), ("coap", specs["coap"].probe, ref.coap_probe),
            ("kerberos", specs["kerberos"].probe, ref.kerberos_probe),
            ("dhcpv6", specs["dhcpv6"].probe, ref.dhcpv6_probe), ("tftp", specs["tftp"].probe, ref.tftp_probe),
            ("ntp", specs["ntp"].probe, ref.ntp_probe), ("dhcp", specs["dhcp"].probe, ref.dhcp_probe)]
    return out


PROBES = _probes()


def probe_views(view):
    """A view, its prefixes and its datagram subsets: what the engine may hand a probe."""
    yield view
    for k in (1, 2, 3, 5, 12, 20, 40, 100):
        yield FlowView(view.transport, view.payload_c2s[:k], view.payload_s2c[:k],
                       [d[:k] for d in view.datagrams_c2s], [d[:k] for d in view.datagrams_s2c])
    if view.datagrams_c2s or view.datagrams_s2c:
        yield FlowView.udp(view.datagrams_c2s[:1], view.datagrams_s2c[:1])
        yield FlowView.udp(view.datagrams_s2c, view.datagrams_c2s)
    yield FlowView("tcp", view.payload_c2s, view.payload_s2c)
    yield FlowView.udp([u for u in units(view)][:6])


def outcome(probe, view):
    """A probe's Result, or the type of the exception it raised (the engine records a
    raising detector as an error: the compiled one must raise where the original did)."""
    try:
        return probe(view, {})
    except Exception as exc:
        return type(exc)


def same_result(a, b) -> bool:
    if isinstance(a, type) or isinstance(b, type):
        return a is b
    return a.verdict == b.verdict and a.protocol == b.protocol and \
        a.confidence == b.confidence and same(dict(a.metadata), dict(b.metadata))


@pytest.mark.parametrize("name,fast,oracle", PROBES, ids=[p[0] for p in PROBES])
def test_compiled_probes_match_the_oracles(name, fast, oracle):
    for fx in FIXTURES:
        for view in probe_views(fx.view):
            assert same_result(outcome(fast, view), outcome(oracle, view)), (name, fx.id, view)


def test_result_and_match_behave_as_the_dataclass_did():
    from classifier.detectors.base import MORE, NO, Result, Verdict, match
    r = match("x", 0.5, a=1, b=None, c="s")
    assert (r.verdict, r.protocol, r.confidence, r.metadata) == (Verdict.MATCH, "x", 0.5, {"a": 1, "c": "s"})
    assert r == Result(Verdict.MATCH, "x", 0.5, {"a": 1, "c": "s"}) and r != NO
    assert NO.verdict == Verdict.NO_MATCH and MORE.verdict == Verdict.NEED_MORE and NO.metadata == {}
    with pytest.raises(AttributeError):
        r.protocol = "y"
    assert repr(NO).startswith("Result(verdict=")


def test_dns_message_behaves_as_the_dataclass_did():
    M = _dnswire.Message
    m = M(1, False, 0, 0, 1, 0, 0, 0, "a.b", 1, 1, [b"a", b"b"])
    assert m.exact is False and m.raw_labels == [b"a", b"b"] and m.qname == "a.b"
    assert m == M(1, False, 0, 0, 1, 0, 0, 0, "a.b", 1, 1, [b"a", b"b"], False)
    assert m != M(1, False, 0, 0, 1, 0, 0, 0, "a.b", 1, 1, [b"a", b"b"], True) and m != "more"
    assert repr(m) == ("Message(txid=1, response=False, opcode=0, rcode=0, qd=1, an=0, ns=0, ar=0, "
                       "qname='a.b', qtype=1, qclass=1, raw_labels=[b'a', b'b'], exact=False, flags=0)")
    m.exact = True
    assert m.exact is True
    with pytest.raises(TypeError):
        hash(m)


def test_http_message_keeps_the_plain_class_interface():
    from classifier.detectors import _httpmsg
    m = _httpmsg.Message("request", "GET", "/", "HTTP", "1.1", None, {"host": "a"})
    assert (m.kind, m.method, m.target, m.proto, m.version, m.status, m.headers) == \
        ("request", "GET", "/", "HTTP", "1.1", None, {"host": "a"})
    m.status = 200
    assert m.status == 200 and m != _httpmsg.Message("request", "GET", "/", "HTTP", "1.1", 200, {"host": "a"})
    assert type(_httpmsg.parse(b"GET / HTTP/1.1\r\n\r\n")) is _httpmsg.Message


# ----------------------------------------------------------------------- hypothesis
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402


blobs = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.builds(mutate, st.sampled_from(HTTP_SAMPLES),
              st.lists(st.tuples(st.integers(0, 4096), st.sampled_from(b" \t\r\n:/.0aAzZ-_\x00")), max_size=4),
              st.integers(1, 1500)).filter(bool),
    st.builds(mutate, st.sampled_from(SAMPLES),
              st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), max_size=6),
              st.integers(1, 1500)).filter(bool))


@settings(max_examples=1500, deadline=None)
@given(blobs)
def test_fuzz_compiled_parsers_match_the_oracles(data):
    from classifier.detectors import _httpmsg
    assert same(_dnswire.parse(data), ref.parse(data))
    for m in dns_messages(data):
        assert _dnswire.flavour(m) == ref.flavour(m)
        assert same(_dnswire.describe(m), ref.describe(m))
    assert same(http_fields(_httpmsg.parse(data)), http_fields(ref.http_parse(data)))
    from classifier.detectors import smallchat
    assert smallchat._offsets(data) == ref.smallchat_offsets(data)
    from classifier.detectors import radius
    assert same(radius.parse(data), ref.radius_parse(data))
    from classifier.detectors import _banner
    assert same(_banner.commands(data), ref.banner_commands(data))
    assert same(_banner.reply_lines(data, 32), ref.banner_reply_lines(data, 32))
    from classifier.detectors import _fast
    for frames in (data, b"\x06" + data, b"\x00\x00\x01\x02" + data, b"\x03" + data):
        got, want = {}, {}
        _fast.quic_crypto_frames(frames, got)
        ref.quic_crypto_frames(frames, want)
        assert same(got, want)
    assert same(tls.parse_direction(data), ref.parse_direction(data))
    for t in (1, 2):
        for dtls in (False, True):
            assert same(_hello.parse_hello(t, data, dtls), ref.parse_hello(t, data, dtls))


LABELS = st.lists(st.sampled_from([b"local", b"LOCAL", b"Local", b"arpa", b"ARPA", b"localhost",
                                    b"LocalHost", b"x", b"", b"A" * 32, b"P" * 32, b"Q" * 32,
                                    b"EB" * 15 + b"AA", b"locals"]), max_size=3)


@settings(max_examples=1500, deadline=None)
@given(LABELS, st.integers(0, 2), st.booleans(), st.integers(0, 15), st.integers(0, 3),
       st.integers(0, 2), st.sampled_from([None, 0, 1, 12, 28, 32, 33, 255, 256]),
       st.sampled_from([None, 0, 1, 0x8001, 0x7FFF]), st.integers(0, 2),
       st.sampled_from([0, 0x0100, 0x0400, 0x0080, 0x0040, 0x0010, 0x8000, 0x8400, 0x8180,
                        0x0200]))
def test_fuzz_dns_flavour_and_describe_match_the_oracle(labels, txid, response, opcode, qd, ns,
                                                        qtype, qclass, an, flags):
    m = _dnswire.Message(txid, response, opcode, 3, qd, an, ns, 0,
                         b".".join(labels).decode("latin-1"), qtype, qclass, labels, False, flags)
    assert _dnswire.flavour(m) == ref.flavour(m)
    assert same(_dnswire.describe(m), ref.describe(m))


@settings(max_examples=400, deadline=None)
@given(st.lists(blobs, max_size=4), st.lists(blobs, max_size=4), blobs, blobs)
def test_fuzz_dns_flows_match_the_oracle(dc, ds, c, s):
    for view in (FlowView.udp(dc, ds), FlowView.tcp(c, s), FlowView.tcp(b"\x00\x20" + c)):
        assert same(_dnsfamily._parse_all(view), ref._parse_all(view))


@settings(max_examples=600, deadline=None)
@given(st.lists(blobs, max_size=4), st.lists(blobs, max_size=4), blobs, blobs)
def test_fuzz_compiled_probes_match_the_oracles(dc, ds, c, s):
    views = (FlowView.udp(dc, ds), FlowView.tcp(c, s), FlowView.tcp(b"\x00\x20" + c, s),
             FlowView("udp", b"", b"", [b""] + dc, [b""] + ds))
    for name, fast, oracle in PROBES:
        for view in views:
            assert same_result(outcome(fast, view), outcome(oracle, view)), (name, view)


def shaped(head, size, fill):
    """A datagram of ``size`` bytes starting with ``head``."""
    return (head + bytes([fill]) * size)[:size]


# Datagrams shaped like the compiled probes' protocols, so their deeper branches run:
# WireGuard headers and sizes, SmallChat tokens at small offsets.
shaped_dgs = st.builds(shaped, st.sampled_from([b"\x01\x00\x00\x00", b"\x02\x00\x00\x00", b"\x03\x00\x00\x00",
                                                b"\x04\x00\x00\x00", b"\x01\x00", b"\x04\x00\x01\x00",
                                                b"abcHLO ", b"MSG", b"abcdefgACK:", b"xyBADX", b"id1CNF",
                                                # CoAP: header, token, options (Uri-Path, extended deltas/lengths)
                                                b"\x42\x01\x12\x34\xab\xcd\xb4test\x04ab\xff", b"\x50\x45\x00\x01\xb0\x03",
                                                b"\x40\x01\x00\x01\xbd\x02" + b"x" * 15, b"\x40\x02\x00\x01\xd1\x05a\xe1\x00\x10b",
                                                b"\x40\x00\x00\x00", b"\x60\x44\x00\x01\xc1\x00\xff{}", b"\x40\x01\x00\x01\xb0\xb1a",
                                                # Kerberos: [APPLICATION n] SEQUENCE [0]/[1] INTEGER pvno
                                                b"\x6a\x81\x10\x30\x0e\xa1\x03\x02\x01\x05", b"\x7e\x10\x30\x0e\xa0\x04\x02\x02\x00\x05",
                                                b"\x6d\x82\x01\x00\x30\x84\x00\x00\x00\x10\xa0\x03\x02\x01\x04",
                                                b"\x00\x00\x00\x10\x6c\x0e\x30\x0c\xa1\x03\x02\x01\x05",
                                                b"\x6e\x0c\x30\x0a\xa1\x0a\x02\x09\x00\x00\x00\x00\x00\x00\x00\x00\x05",
                                                # DHCPv6: type, transaction id, options (client id, elapsed time)
                                                b"\x01\x12\x34\x56\x00\x01\x00\x02ab\x00\x08\x00\x02\x00\x00",
                                                b"\x07\x00\x00\x01\x00\x08\x00\x02\x00\x00", b"\x0c\x00" + bytes(32) + b"\x00\x09\x00\x00",
                                                # TFTP: RRQ/WRQ, DATA, ACK, ERROR, OACK
                                                b"\x00\x01file.bin\x00octet\x00", b"\x00\x02f\x00NETASCII\x00blksize\x001428\x00",
                                                b"\x00\x03\x00\x01", b"\x00\x04\x00\x01", b"\x00\x05\x00\x01oops\x00",
                                                b"\x00\x06blksize\x00512\x00tsize\x000\x00", b"\x00\x06bogus\x001\x00", b"\x00",
                                                # NTP: client/server, control (6), private (7)
                                                b"\x23\x00\x06\xec", b"\x24\x02\x00\xe9", b"\x1b", b"\x1e\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00",
                                                b"\x16\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x04", b"\x17\x00\x03\x2a\x00\x01\x00\x08",
                                                # DHCP: BOOTP header, cookie, options (53 type, 12 hostname, 60 vendor, pad, end)
                                                *(bytes([op, 1, hl]) + bytes(233) + b"\x63\x82\x53\x63" + opts
                                                  for op, hl, opts in ((1, 6, b"\x35\x01\x01\x0c\x03abc\x00\x3c\x02xy\xff"),
                                                                       (2, 6, b"\x35\x01\x63\x0c\x09ab"), (1, 17, b""),
                                                                       (1, 6, b"\x35\x01"), (2, 6, b"\x35\x02\x05\x05\x0c"),
                                                                       (1, 6, b"\x00\x00\x3c\x00\xff")))]),
                       st.sampled_from([1, 2, 3, 4, 7, 11, 27, 32, 48, 64, 92, 148, 150, 160, 239, 240,
                                        241, 242, 243, 245, 248, 250, 256]),
                       st.integers(0, 255))


@settings(max_examples=600, deadline=None)
@given(st.lists(shaped_dgs, max_size=4), st.lists(shaped_dgs, max_size=4))
def test_fuzz_compiled_probes_on_shaped_datagrams(dc, ds):
    views = [FlowView.udp(dc, ds), FlowView.udp(dc), FlowView.udp(ds, dc)]
    if dc:
        # MongoDB-shaped streams: length, requestID, responseTo, opCode (little-endian).
        c = struct.pack("<iiii", len(dc[0]) + 16, 7, 0, (2004, 2013, 1, 2001)[len(dc) % 4]) + dc[0]
        s = struct.pack("<iiii", 40, 9, (7, 8)[len(ds) % 2], 1) + (ds[0] if ds else b"")
        views += [FlowView.tcp(c, s), FlowView.tcp(c), FlowView.tcp(c, s[:10]), FlowView.tcp(c[:15], s)]
    for view in views:
        for name, fast, oracle in PROBES:
            assert same_result(outcome(fast, view), outcome(oracle, view)), (name, view)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([1, 0x6B3343CF, 0xFF00001D, 0xFF000017, 0x51303530,
                                                             0x54303531, 0x1A2A3A4A, 0xFACEB002, 0, 0xFFFFFFFF])))
def test_fuzz_quic_version_name_matches_the_oracle(v):
    from classifier.detectors import quic
    assert quic.version_name(v) == ref.quic_version_name(v)


# --------------------------------------------------------------------------- budgets
@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_compiled_budget_cut_equals_budget_view(fx):
    eng = E.default_engine()
    views = [fx.view]
    if fx.view.transport == "tcp" and fx.view.payload_c2s:
        # A packet list, so the packet budget has something to cut at.
        n = len(fx.view.payload_c2s)
        views.append(FlowView("tcp", fx.view.payload_c2s, fx.view.payload_s2c, (), (),
                              (0, 1, 0, 0, 1, 0), (n // 3, 5, n // 4, 0, 7, n)))
    for view in views:
        shape = E._shape(view)
        for mb, mp in sorted({(s.max_bytes, s.max_packets) for s in eng.specs}):
            got, want = eng._core.budget(view, mb, mp, shape), ref.budget_view(view, mb, mp, shape)
            assert (got is view) == (want is view)
            assert got == want


# ------------------------------------------------------------------------ batch path
flows_mod = pytest.importorskip("classifier.flows")       # needs the compiled fast path


def captures():
    import dpkt_flows
    out = sorted(glob.glob(os.path.join(HERE, "..", "..", "pcaps", "**", "*.pcap*"), recursive=True))
    if dpkt_flows.NDPI_DIR:
        out += sorted(glob.glob(os.path.join(dpkt_flows.NDPI_DIR, "pcaps", "*.pcap*")))
    return out


OUTPUT = ("protocol", "confidence", "source", "metadata", "conflicts")


@pytest.mark.skipif(not captures(), reason="no captures available")
def test_batch_path_gives_every_flow_the_per_flow_label():
    from classifier.detectors import classify_batch, classify_flows
    compared = 0
    for cap in captures():
        try:
            batches = list(flows_mod.FlowReader(cap).batches())
        except Exception:
            continue                       # damaged files are the reader tests' business
        for batch in batches:
            per_flow = [lab.as_dict() for lab in classify_flows(list(batch))]
            whole = [lab.as_dict() for lab in classify_flows(batch)]
            assert whole == per_flow, cap
            # The pipeline's variant builds no Label for a flow without a protocol (and
            # an expectation-labelled flow does not carry the payload probes' trail).
            lean = [lab.as_dict() if lab is not None else None for lab in classify_batch(batch)]
            assert [d and {k: list(d[k]) if k == "conflicts" else d[k] for k in OUTPUT} for d in lean] == \
                [{k: d[k] for k in OUTPUT} if d["protocol"] else None for d in per_flow], cap
            compared += len(batch)
    assert compared > 300


@pytest.mark.skipif(not captures(), reason="no captures available")
def test_compiled_records_equal_the_python_original():
    import orjson
    from classifier.schema import batch_records
    compared = 0
    for cap in captures():
        try:
            batches = list(flows_mod.FlowReader(cap).batches())
        except Exception:
            continue
        for batch in batches:
            got, want = batch_records(batch), ref.batch_records(batch)
            # Byte for byte as written: same keys, same order, same values and types.
            assert [orjson.dumps(r) for r in got] == [orjson.dumps(r) for r in want], cap
            assert got == want
            compared += len(got)
    assert compared > 300


# ----------------------------------------------------------------- payload only
def test_compiled_detector_code_reads_no_endpoint_attribute():
    """The detectors' compiled code (what test_engine's AST scan of the .py files cannot
    parse) reads no attribute named like a port, address, TTL or tuple either; and no
    detector imports the output records (classifier/_records.pyx, outside the package),
    which print them."""
    import re
    from test_engine import DET_DIR, FORBIDDEN
    sources = [f for f in os.listdir(DET_DIR) if f.endswith((".pyx", ".pxi"))]
    assert "_fast.pyx" in sources
    for f in sources:
        with open(os.path.join(DET_DIR, f)) as fh:
            code = "\n".join(line.split("#")[0] for line in fh)      # comments may say "port"
        code = re.sub(r'"""[\s\S]*?"""', "", code)                   # and so may docstrings
        bad = [a for a in re.findall(r"\.([A-Za-z_]\w*)", code) if FORBIDDEN.search(a)]
        assert bad == [], f
    for f in os.listdir(DET_DIR):
        if f.endswith((".py", ".pyx", ".pxi")):
            with open(os.path.join(DET_DIR, f)) as fh:
                assert not re.search(r"import\s+_records|_records\s+import|\._records\b", fh.read()), f
