"""What the compiled probes and parsers answer, recorded once as test data.

The detectors' compiled code (classifier/detectors/*.pxi, _records.pyx) has one
source of truth: itself.  Its answers on a fixed, deterministic set of inputs are kept in
tests/detectors/data/probe_answers/<subject>.jsonl; test_compiled.py recomputes them and
fails on any difference.  A deliberate change of a probe is a regeneration and a diff
to review, like the goldens:

    python -m pytest tests/detectors/test_compiled.py --regen-probe-answers
    python tests/detectors/probe_answers.py          # the same, without pytest

The inputs are what the old oracle-equivalence tests generated: every byte unit of every
fixture (fixtures.py) and its prefixes, the views the engine may hand a probe (cuts,
first datagrams, swapped sides, as TCP, as UDP), protected QUIC Initials and damaged
copies, and a seeded pseudo-random corpus standing in for the hypothesis examples
(mutated fixture bytes, mutated HTTP lines, random bytes, datagrams shaped like the
compiled probes' protocols).  Each file starts with a header line: the subject, how many
inputs were tried and the answer most of them get (``default``); every other line is one
input whose answer differs from the default: ``key`` says how the input was made, ``in``
is the first 12 hex digits of its SHA-1 (so a changed fixture shows up as a changed
input, not as a changed answer) and ``out`` is the answer, encoded by ``enc`` (type-exact:
bytes, tuples and dict key order are kept, because the output's byte layout follows them).

These files replaced the pure-Python oracle (tests/detectors/reference_parsers.py):
at commit f1aba43, tests/detectors/oracle_check.py computed every file with the oracle
in place of the compiled code and got them identical, line for line.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "probe_answers")
ROOT = os.path.dirname(os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


# ------------------------------------------------------------------------ encoding
def enc(x):
    """A JSON value that tells apart what `==` plus type checks tell apart."""
    from classifier.detectors import _dnswire, _httpmsg
    from classifier.detectors.base import ProbeResult
    from classifier.detectors.flowview import FlowView
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x if type(x) is int else {"~" + type(x).__name__: int(x)}
    if isinstance(x, float):
        return x                    # JSON keeps 1.0 apart from 1
    if isinstance(x, (bytes, bytearray)):
        # Printable bytes as text, others in hex; past 48 bytes the head, length and SHA-1.
        b = bytes(x)
        text = all(32 <= c < 127 or c in (9, 10, 13) for c in b)
        tag = ("~b" if text else "~x") + ("" if type(x) is bytes else "a")
        show = (lambda v: v.decode("ascii")) if text else (lambda v: v.hex())
        if len(b) <= 48:
            return {tag: show(b)}
        return {tag: [show(b[:16]), len(b), digest(b)]}
    if isinstance(x, tuple):
        return {"~tuple": [enc(v) for v in x]}
    if isinstance(x, list):
        return [enc(v) for v in x]
    if isinstance(x, (set, frozenset)):
        return {"~set": sorted(enc(v) for v in x)}
    if isinstance(x, dict):
        if all(isinstance(k, str) and not k.startswith("~") for k in x):
            return {k: enc(v) for k, v in x.items()}
        return {"~dict": [[enc(k), enc(v)] for k, v in x.items()]}
    if isinstance(x, type) and issubclass(x, BaseException):
        return {"~raises": x.__name__}
    if isinstance(x, ProbeResult):
        return {"~result": [x.outcome.name, x.protocol, x.confidence, enc(dict(x.metadata))]}
    if isinstance(x, _dnswire.Message):
        return {"~dns": [enc(getattr(x, f)) for f in ("txid", "response", "opcode", "rcode", "qd", "an", "ns",
                                                     "ar", "qname", "qtype", "qclass", "raw_labels", "exact")]}
    if isinstance(x, _httpmsg.Message):
        return {"~http": [enc(v) for v in (x.kind, x.method, x.target, x.proto, x.version, x.status,
                                           list(x.headers.items()))]}
    if isinstance(x, FlowView):
        return {"~view": [x.transport, len(x.payload_c2s), len(x.payload_s2c),
                          [len(d) for d in x.datagrams_c2s], [len(d) for d in x.datagrams_s2c],
                          enc(tuple(x.pkt_dirs)), enc(tuple(x.pkt_sizes)), digest(view_bytes(x))]}
    raise TypeError(f"no encoding for {type(x).__name__}")


def digest(b: bytes) -> str:
    return hashlib.sha1(b).hexdigest()[:12]


def view_bytes(v) -> bytes:
    """A FlowView's content as one byte string (for its digest)."""
    parts = [v.transport.encode(), v.payload_c2s, v.payload_s2c]
    for dgs in (v.datagrams_c2s, v.datagrams_s2c):
        parts.append(struct.pack(">I", len(dgs)))
        parts += [struct.pack(">I", len(d)) + d for d in dgs]
    parts.append(repr((tuple(v.pkt_dirs), tuple(v.pkt_sizes))).encode())
    return b"\x00".join(parts)


def outcome(fn, *args):
    """fn(*args), or the type of the exception it raised (the engine records a raising
    probe as an error, so which one raises is part of the answer)."""
    try:
        return fn(*args)
    except Exception as exc:
        return type(exc)


# -------------------------------------------------------------------------- inputs
def units(view):
    """Every byte string a parser may be handed for a view: datagrams and streams."""
    out = [d for d in list(view.datagrams_c2s) + list(view.datagrams_s2c) if d]
    out += [d for d in (view.payload_c2s, view.payload_s2c) if d]
    return out


def named_units(fx):
    v = fx.view
    out = [(f"{fx.id}/c{i}", d) for i, d in enumerate(v.datagrams_c2s) if d]
    out += [(f"{fx.id}/s{i}", d) for i, d in enumerate(v.datagrams_s2c) if d]
    out += [(f"{fx.id}/{n}", d) for n, d in (("c2s", v.payload_c2s), ("s2c", v.payload_s2c)) if d]
    return out


CUTS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 159)

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

BANNER_SAMPLES = [b"220 ftp ready\r\n", b"220-a\r\n220-b\r\n220 c\r\n", b"USER x\r\npass y\nQuIt\r\n",
                  b"  user\t x\r\n\r\n \n\x0b\x0cNOOP\x0b \r\n", b"599 x\n600 y\n", b"099 x\n", b"220\r\n",
                  b"220 \r\r\n", b"220-\n", b"2x0 a\n", b"220\t\n", b"ehlo\xe9\xff y\n" * 20, b"a\nb"]

# Heads of datagrams shaped like the compiled probes' protocols, so their deeper branches
# run: WireGuard headers and sizes, SmallChat tokens at small offsets, CoAP, Kerberos,
# DHCPv6, TFTP, NTP and DHCP headers and options.
SHAPED_HEADS = [
    b"\x01\x00\x00\x00", b"\x02\x00\x00\x00", b"\x03\x00\x00\x00", b"\x04\x00\x00\x00", b"\x01\x00",
    b"\x04\x00\x01\x00", b"abcHLO ", b"MSG", b"abcdefgACK:", b"xyBADX", b"id1CNF",
    b"\x42\x01\x12\x34\xab\xcd\xb4test\x04ab\xff", b"\x50\x45\x00\x01\xb0\x03",
    b"\x40\x01\x00\x01\xbd\x02" + b"x" * 15, b"\x40\x02\x00\x01\xd1\x05a\xe1\x00\x10b",
    b"\x40\x00\x00\x00", b"\x60\x44\x00\x01\xc1\x00\xff{}", b"\x40\x01\x00\x01\xb0\xb1a",
    b"\x6a\x81\x10\x30\x0e\xa1\x03\x02\x01\x05", b"\x7e\x10\x30\x0e\xa0\x04\x02\x02\x00\x05",
    b"\x6d\x82\x01\x00\x30\x84\x00\x00\x00\x10\xa0\x03\x02\x01\x04",
    b"\x00\x00\x00\x10\x6c\x0e\x30\x0c\xa1\x03\x02\x01\x05",
    b"\x6e\x0c\x30\x0a\xa1\x0a\x02\x09\x00\x00\x00\x00\x00\x00\x00\x00\x05",
    b"\x01\x12\x34\x56\x00\x01\x00\x02ab\x00\x08\x00\x02\x00\x00",
    b"\x07\x00\x00\x01\x00\x08\x00\x02\x00\x00", b"\x0c\x00" + bytes(32) + b"\x00\x09\x00\x00",
    b"\x00\x01file.bin\x00octet\x00", b"\x00\x02f\x00NETASCII\x00blksize\x001428\x00",
    b"\x00\x03\x00\x01", b"\x00\x04\x00\x01", b"\x00\x05\x00\x01oops\x00",
    b"\x00\x06blksize\x00512\x00tsize\x000\x00", b"\x00\x06bogus\x001\x00", b"\x00",
    b"\x23\x00\x06\xec", b"\x24\x02\x00\xe9", b"\x1b", b"\x1e\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00",
    b"\x16\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x04", b"\x17\x00\x03\x2a\x00\x01\x00\x08",
    *(bytes([op, 1, hl]) + bytes(233) + b"\x63\x82\x53\x63" + opts
      for op, hl, opts in ((1, 6, b"\x35\x01\x01\x0c\x03abc\x00\x3c\x02xy\xff"), (2, 6, b"\x35\x01\x63\x0c\x09ab"),
                           (1, 17, b""), (1, 6, b"\x35\x01"), (2, 6, b"\x35\x02\x05\x05\x0c"),
                           (1, 6, b"\x00\x00\x3c\x00\xff"))),
]
SHAPED_SIZES = [1, 2, 3, 4, 7, 11, 27, 32, 48, 64, 92, 148, 150, 160, 239, 240, 241, 242, 243, 245, 248, 250, 256]


@functools.lru_cache(maxsize=None)
def fixture_units():
    """(key, bytes): every unit of every fixture, then prefixes of each."""
    from fixtures import FIXTURES
    whole = [ku for fx in FIXTURES for ku in named_units(fx)]
    out = list(whole)
    out += [(f"{k}[:{n}]", u[:n]) for k, u in whole for n in CUTS if n < len(u)]
    return out


def _mutate(rng, seed: bytes, alphabet=None) -> bytes:
    from fixtures import mutate
    flips = [(rng.randrange(4097), rng.choice(alphabet) if alphabet else rng.randrange(256))
             for _ in range(rng.randrange(7))]
    return mutate(seed, flips, rng.randrange(1, 1501))


@functools.lru_cache(maxsize=None)
def random_blobs(n: int = 1500, salt: str = "blob"):
    """(key, bytes): a seeded stand-in for the hypothesis examples: random bytes, mutated
    HTTP lines, mutated fixture units (never empty)."""
    samples = sorted({u for _k, u in fixture_units() if "[:" not in _k})
    out = []
    for i in range(n):
        rng = random.Random(f"{salt}:{i}")
        kind = i % 3
        if kind == 0:
            b = rng.randbytes(rng.randrange(1, 301))
        elif kind == 1:
            b = _mutate(rng, rng.choice(HTTP_SAMPLES), b" \t\r\n:/.0aAzZ-_\x00")
        else:
            b = _mutate(rng, rng.choice(samples))
        out.append((f"{salt}:{i}", b or b"\x00"))
    return out


def shaped(rng) -> bytes:
    head, size, fill = rng.choice(SHAPED_HEADS), rng.choice(SHAPED_SIZES), rng.randrange(256)
    return (head + bytes([fill]) * size)[:size]


def probe_views(view):
    """(suffix, view): a view, its prefixes and its datagram subsets: what the engine may
    hand a probe."""
    from classifier.detectors.flowview import FlowView
    yield "", view
    for k in (1, 2, 3, 5, 12, 20, 40, 100):
        yield f"[:{k}]", FlowView(view.transport, view.payload_c2s[:k], view.payload_s2c[:k],
                                  [d[:k] for d in view.datagrams_c2s], [d[:k] for d in view.datagrams_s2c])
    if view.datagrams_c2s or view.datagrams_s2c:
        yield "/first", FlowView.udp(view.datagrams_c2s[:1], view.datagrams_s2c[:1])
        yield "/swapped", FlowView.udp(view.datagrams_s2c, view.datagrams_c2s)
    yield "/as-tcp", FlowView("tcp", view.payload_c2s, view.payload_s2c)
    yield "/as-udp", FlowView.udp(units(view)[:6])


def fixture_views():
    from fixtures import FIXTURES
    return [(fx.id + sfx, v) for fx in FIXTURES for sfx, v in probe_views(fx.view)]


def random_views(n: int = 600):
    """Flows of random blobs (as test_compiled's hypothesis tests built them), and of
    datagrams shaped like the probes' protocols, with MongoDB-shaped streams."""
    from classifier.detectors.flowview import FlowView
    blobs = [b for _k, b in random_blobs(3 * n, "vblob")]
    out = []
    for i in range(n):
        rng = random.Random(f"view:{i}")
        dc = [rng.choice(blobs) for _ in range(rng.randrange(5))]
        ds = [rng.choice(blobs) for _ in range(rng.randrange(5))]
        c, s = rng.choice(blobs), rng.choice(blobs)
        out += [(f"view:{i}/udp", FlowView.udp(dc, ds)), (f"view:{i}/tcp", FlowView.tcp(c, s)),
                (f"view:{i}/tcp-len", FlowView.tcp(b"\x00\x20" + c, s)),
                (f"view:{i}/udp-empty", FlowView("udp", b"", b"", [b""] + dc, [b""] + ds))]
    for i in range(n):
        rng = random.Random(f"shaped:{i}")
        dc = [shaped(rng) for _ in range(rng.randrange(5))]
        ds = [shaped(rng) for _ in range(rng.randrange(5))]
        k = f"shaped:{i}"
        out += [(k + "/udp", FlowView.udp(dc, ds)), (k + "/c", FlowView.udp(dc)), (k + "/swapped", FlowView.udp(ds, dc))]
        if dc:
            c = struct.pack("<iiii", len(dc[0]) + 16, 7, 0, (2004, 2013, 1, 2001)[len(dc) % 4]) + dc[0]
            s = struct.pack("<iiii", 40, 9, (7, 8)[len(ds) % 2], 1) + (ds[0] if ds else b"")
            out += [(k + "/mongo", FlowView.tcp(c, s)), (k + "/mongo-c", FlowView.tcp(c)),
                    (k + "/mongo-s10", FlowView.tcp(c, s[:10])), (k + "/mongo-c15", FlowView.tcp(c[:15], s))]
    return out


def quic_initials():
    """Protected client Initials (test_quic's builder): v1, v2, draft-29, draft-23; one
    CRYPTO frame, a ClientHello split over two Initials, PING/ACK frames before it, a
    CONNECTION_CLOSE, a CRYPTO frame past the end."""
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


# ------------------------------------------------------------------------ subjects
def _dedup(items):
    """Drop inputs already seen (same digest): keys stay those of the first maker."""
    seen, out = set(), []
    for key, x, d in items:
        if d not in seen:
            seen.add(d)
            out.append((key, x, d))
    return out


def bytes_inputs(extra=(), blobs=1500, prefixes=True):
    units = [ku for ku in fixture_units() if prefixes or "[:" not in ku[0]]
    return _dedup([(k, b, digest(b)) for k, b in list(extra) + units + random_blobs(blobs)])


def handshake_bytes(data: bytes, limit: int = 4) -> bytes:
    """The handshake-layer bytes of a TLS stream: the bodies of its first ``limit``
    handshake records, concatenated (where a ClientHello/ServerHello body starts)."""
    out, pos = bytearray(), 0
    while limit > 0 and pos + 5 <= len(data) and data[pos] == 0x16:
        n = struct.unpack_from(">H", data, pos + 3)[0]
        out += data[pos + 5:pos + 5 + n]
        pos += 5 + n
        limit -= 1
    return bytes(out)


def dns_answer(data):
    from classifier.detectors import _dnswire
    out = [enc(_dnswire.parse(data))]
    for m in (_dnswire.parse(data), _dnswire.parse(data[2:])):
        if m is not None and m != _dnswire.MORE_NEEDED:
            out.append([_dnswire.flavour(m), enc(_dnswire.describe(m))])
    return out


def http_answer(data):
    from classifier.detectors import _httpmsg
    return enc(_httpmsg.parse(data))


def banner_answer(data):
    """Commands and reply lines at the limits the probes use, and of a bytearray."""
    from classifier.detectors import _banner
    out = [[enc(_banner.commands(data, limit)), enc(_banner.reply_lines(data, limit))] for limit in (1, 8, 32)]
    out.append([enc(_banner.commands(bytearray(data))), enc(_banner.reply_lines(bytearray(data)))])
    return out


def with_prefixes(name, samples):
    out = []
    for i, b in enumerate(samples):
        out.append((f"{name}{i}", b))
        out += [(f"{name}{i}[:{n}]", b[:n]) for n in CUTS if n < len(b)]
    return out


def tls_direction_answer(data):
    from classifier.detectors import tls
    return enc(tls.parse_direction(data))


def tls_hello_answer(data):
    """parse_hello of the handshake body in a TLS stream, and of the bytes at a few
    offsets as client/server hello bodies, as TLS and as DTLS."""
    from classifier.detectors import _hello
    bodies = []
    if data[:1] == b"\x16":
        hs = handshake_bytes(data)
        if len(hs) >= 4:
            bodies.append(("hs", hs[0], hs[4:]))
    bodies += [(f"@{k}", t, data[k:]) for k in (0, 1, 4, 5, 9, 13) for t in (1, 2)]
    out = {}
    for where, t, body in bodies:
        for dtls in (False, True):
            r = outcome(_hello.parse_hello, t, body, dtls)
            if r is not None:
                out[f"{where}/{t}/{'dtls' if dtls else 'tls'}"] = enc(r)
    return out


def smallchat_answer(data):
    from classifier.detectors import smallchat
    return enc(outcome(smallchat._offsets, data))


def radius_answer(data):
    from classifier.detectors import radius
    return enc(outcome(radius.parse, data))


def quic_frames_answer(data):
    """QUIC CRYPTO frame reassembly of the bytes, behind a CRYPTO type byte, a PADDING
    run and an unknown frame type: the chunks (offset -> bytes) and what raised."""
    from classifier.detectors import _fast
    out = []
    for frames in (data, b"\x06" + data, b"\x00\x00\x01\x02" + data, b"\x03" + data):
        chunks = {}
        r = outcome(_fast.quic_crypto_frames, frames, chunks)
        out.append([enc(r) if isinstance(r, type) else None, enc(chunks)])
    return out


def probes():
    """(name, probe) of the compiled probes, in the protocol table's order.  Probes
    written in Python are left out: their fixture tests are their check, and a protocol
    added in Python then changes no recorded file.  A compiled probe behind a Python
    wrapper (``__wrapped__``: base.resyncing's mid-stream retry, openvpn's mid-session
    rule) is recorded itself; the wrapper's part has its own tests."""
    import types
    from classifier.detectors import detector_list
    out = []
    for s in detector_list.SPECS:
        p = getattr(s.probe, "__wrapped__", s.probe)
        if p is not None and not isinstance(p, types.FunctionType):
            out.append((s.name, p))
    return out


def probes_answer(view):
    """One letter per probe in PROBE_ORDER (``.`` NO, ``m`` NEED_MORE, ``M`` MATCH, ``!``
    raised), then what each matching probe claimed and what each raising one raised."""
    from classifier.detectors.base import Outcome
    letters, detail = [], {}
    for name, probe in probes():
        r = outcome(probe, view, {})
        if isinstance(r, type):
            letters.append("!")
            detail[name] = enc(r)
        elif r.outcome == Outcome.NO_MATCH and r.protocol is None and not r.metadata:
            letters.append(".")
        elif r.outcome == Outcome.NEED_MORE and r.protocol is None and not r.metadata:
            letters.append("m")
        else:
            letters.append("M" if r.outcome == Outcome.MATCH else "?")
            claim = [r.confidence, enc(dict(r.metadata))]
            detail[name] = claim if r.protocol == name and r.outcome == Outcome.MATCH else [r.outcome.name, r.protocol] + claim
    return ["".join(letters), detail] if detail else "".join(letters)


def dns_flows_answer(view):
    from classifier.detectors import _dnsfamily
    return enc(outcome(_dnsfamily._parse_all, view))


# (max_bytes, max_packets) budgets to cut with: the detectors' own (the compiled cut
# knows only those), a fixed list so that a new detector's budget changes no file.
BUDGETS = ((64, 1), (64, 2), (256, 2), (512, 2), (512, 4), (1024, 1), (1024, 2), (1024, 4), (1500, 1),
           (1500, 2), (1553, 4), (2048, 2), (2048, 3), (2048, 4), (2048, 8), (4096, 2), (4096, 4), (4096, 6),
           (4096, 16))


def budget_answer(view):
    from classifier.detectors import engine as E
    eng = E.default_engine()
    shape = E._shape(view)
    out = []
    have = {(s.max_bytes, s.max_packets) for s in eng.specs}
    for mb, mp in BUDGETS:
        if (mb, mp) not in have:
            out.append("no such budget")
            continue
        got = eng._core.budget(view, mb, mp, shape)
        out.append("same" if got is view else enc(got))
    return out


def budget_views():
    from classifier.detectors.flowview import FlowView
    from fixtures import FIXTURES
    out = []
    for fx in FIXTURES:
        out.append((fx.id, fx.view))
        if fx.view.transport == "tcp" and fx.view.payload_c2s:
            n = len(fx.view.payload_c2s)
            out.append((fx.id + "/packets", FlowView("tcp", fx.view.payload_c2s, fx.view.payload_s2c, (), (),
                                                     (0, 1, 0, 0, 1, 0), (n // 3, 5, n // 4, 0, 7, n))))
    return out


def quic_inputs():
    """(key, (datagrams with headers), digest): whole Initials, runs of three, damaged
    header and payload bytes, cuts, a wrong DCID."""
    ini = quic_initials()
    out = []
    for k, (dg, hdr) in enumerate(ini):
        out.append((f"initial{k}", [(dg, hdr)]))
        out.append((f"initial{k}+3", ini[k:k + 3]))
        for pos in list(range(0, min(hdr[4] + 8, len(dg)))) + [hdr[4] + 30, len(dg) - 1]:
            for val in (0x00, 0x3F, 0x40, 0x80, 0xFF):
                bad = dg[:pos] + bytes([val]) + dg[pos + 1:]
                h = (bad[0],) + hdr[1:] if pos == 0 else hdr
                out.append((f"initial{k}@{pos}={val:02x}", [(bad, h)]))
        for cut in (hdr[4], hdr[4] + 1, hdr[4] + 3, hdr[4] + 25, 1199, len(dg) - 1):
            out.append((f"initial{k}[:{cut}]", [(dg[:cut], hdr)]))
        out.append((f"initial{k}/wrong-dcid", [(dg, hdr[:2] + (hdr[2][:-1] + b"x",) + hdr[3:])]))
    return _dedup([(k, x, digest(repr(x).encode())) for k, x in out])


def quic_answer(dgrams):
    from classifier.detectors import quic
    return enc(outcome(quic.client_hello_meta, dgrams))


QUIC_VERSIONS = [1, 0x6B3343CF, 0xFF00001D, 0xFF000017, 0x51303530, 0x54303531, 0x1A2A3A4A, 0xFACEB002, 0,
                 0xFFFFFFFF] + [0xFF000000 + d for d in range(0, 40)] + [0x51303430 + d for d in range(0, 10)]


def version_inputs():
    vs = list(QUIC_VERSIONS) + [random.Random(f"version:{i}").getrandbits(32) for i in range(3000)]
    return _dedup([(f"{v:#010x}", v, f"{v:08x}") for v in vs])


def version_answer(v):
    """The version's name; "=hex" when it is just the number in hex."""
    from classifier.detectors import quic
    name = quic.version_name(v)
    return "=hex" if name == f"{v:#010x}" else name


# Captures whose output records (classifier/_records.pyx) are recorded: a fixed list
# with every combination of transport, TCP flags and payload notes the corpus had when
# it was pinned, so that a new protocol's capture changes no recorded file (its goldens
# are in pcaps/expected/).
RECORD_CAPTURES = tuple("corpus/" + n + ".pcap" for n in (
    "amqp-1", "bittorrent-1", "bittorrent-2", "coap-1", "dns-1", "ftp-1", "http-1", "imap-8",
    "mismatch-dns-on-80udp", "mismatch-http-on-53tcp", "mismatch-tls-on-22", "ntp-1", "pop3-3", "pop3-7",
    "postgresql-3", "quic-1", "rdp-1", "rtsp-1", "syslog-3", "tls-1", "xmpp-4"))


def capture_inputs():
    """(relative path, path, digest of the file) of the RECORD_CAPTURES under pcaps/."""
    pcaps = os.path.join(ROOT, "pcaps")
    out = []
    for p in (os.path.join(pcaps, rel) for rel in RECORD_CAPTURES):
        with open(p, "rb") as fh:
            out.append((os.path.relpath(p, pcaps), p, digest(fh.read())))
    return out


def records_answer(path):
    """batch_records (classifier/_records.pyx) of a capture's batches, as written; the
    capture's name, identical on every row, left out."""
    import orjson
    from classifier.flows import FlowReader
    from classifier.schema import batch_records
    rows = []
    for batch in FlowReader(path).batches():
        for r in batch_records(batch):
            r = dict(r)
            r.pop("capture", None)
            rows.append(orjson.loads(orjson.dumps(r)))
    return rows


def _views(items):
    return _dedup([(k, v, digest(view_bytes(v))) for k, v in items])


# name -> (inputs() -> [(key, input, digest)], answer(input) -> JSON value)
SUBJECTS = {
    "dns": (lambda: bytes_inputs(), dns_answer),
    "dns_flows": (lambda: _views(fixture_views() + random_views(200)), dns_flows_answer),
    "http": (lambda: bytes_inputs(with_prefixes("http", HTTP_SAMPLES)), http_answer),
    "banner": (lambda: bytes_inputs(with_prefixes("banner", BANNER_SAMPLES), 300), banner_answer),
    "tls_direction": (lambda: bytes_inputs(), tls_direction_answer),
    "tls_hello": (lambda: bytes_inputs(), tls_hello_answer),
    "smallchat_offsets": (lambda: bytes_inputs(), smallchat_answer),
    "radius": (lambda: bytes_inputs(), radius_answer),
    "quic_frames": (lambda: bytes_inputs(blobs=500, prefixes=False), quic_frames_answer),
    "probes": (lambda: _views(fixture_views() + random_views(300)), probes_answer),
    "budget": (lambda: _views(budget_views()), budget_answer),
    "quic_initial": (quic_inputs, quic_answer),
    "quic_version": (version_inputs, version_answer),
    "records": (capture_inputs, records_answer),
}


def path_of(subject: str) -> str:
    return os.path.join(DATA, subject + ".jsonl")


def dumps(x) -> str:
    return json.dumps(x, separators=(",", ":"), ensure_ascii=True)


def compute(subject: str, answer=None) -> list:
    """The subject's file, as lines: the header, then each input whose answer is not the
    default.  ``answer`` replaces the subject's answer function (to compare another
    implementation against the recorded one)."""
    make, fn = SUBJECTS[subject]
    fn = answer or fn
    items = make()
    lines = []
    # The commonest answer is the default, so the file lists the exceptions.
    answers = [(k, d, dumps(fn(x))) for k, x, d in items]
    counts = {}
    for _k, _d, a in answers:
        counts[a] = counts.get(a, 0) + 1
    dflt = max(counts, key=lambda a: (counts[a], a)) if counts else "null"
    head = {"subject": subject, "inputs": len(items), "default": json.loads(dflt)}
    if subject == "probes":
        head["order"] = " ".join(name for name, _p in probes())
    lines.append(dumps(head))
    for k, d, a in answers:
        if a != dflt:
            lines.append('{"key":%s,"in":"%s","out":%s}' % (dumps(k), d, a))
    return lines


def read(subject: str) -> list:
    with open(path_of(subject), encoding="utf-8") as fh:
        return fh.read().splitlines()


def write(subject: str, lines: list) -> None:
    os.makedirs(DATA, exist_ok=True)
    with open(path_of(subject), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    for name in sys.argv[1:] or SUBJECTS:
        write(name, compute(name))
        print(name, len(read(name)) - 1, "lines")
