"""The model's features: what they are (against a plain per-flow reference), and what
they never depend on (ports, addresses, TTLs, MACs, VLANs, timestamps).

The end-to-end half rewrites a corpus capture's ports, addresses, TTLs and MACs with
dpkt (one fixed mapping per endpoint, so flows stay flows) and checks that every flow
keeps exactly its features and its prediction."""
from __future__ import annotations

import collections
import glob
import math
import os
import random

import numpy as np
import pytest

from classifier.flows import FlowReader
from classifier.ml import features as F
from classifier.ml.data import load_corpus
from classifier.ml.model import load
from refdata import CORPUS_DIR

dpkt = pytest.importorskip("dpkt")
CORPUS = os.path.join(CORPUS_DIR, "corpus")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS_DIR)


def _ref_window(w: bytes) -> dict:
    L = len(w)
    cnt = collections.Counter(w)
    printable = sum(1 for b in w if 32 <= b < 127 or b in (9, 10, 13))
    alnum = lambda b: 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122      # noqa: E731
    return {
        "entropy": -sum(v / L * math.log2(v / L) for v in cnt.values()) if L else 0.0,
        "distinct": len(cnt),
        "frac_printable": printable / max(L, 1),
        "frac_nul": w.count(0) / max(L, 1),
        "frac_high": sum(1 for b in w if b >= 128) / max(L, 1),
        "frac_digit": sum(1 for b in w if 48 <= b <= 57) / max(L, 1),
        "bigram_aa": sum(1 for x, y in zip(w, w[1:]) if alnum(x) and alnum(y)) / max(L - 1, 1),
        "bigram_hh": sum(1 for x, y in zip(w, w[1:]) if x >= 128 and y >= 128) / max(L - 1, 1),
        "crlf": w.count(b"\r\n"),
        "pos_space": w.find(b" "),
        "pos_crlf": w.find(b"\r\n"),
        "pos_nul": w.find(b"\0"),
    }


def test_shape_and_names(corpus):
    X = F.extract_records(corpus.records, corpus.payload)
    assert X.dtype == np.float32 and X.shape == (len(corpus), F.N_FEATURES) == (len(corpus), len(F.FEATURE_NAMES))
    assert np.isfinite(X).all()
    assert len(set(F.FEATURE_NAMES)) == F.N_FEATURES
    assert F.extract_records(corpus.records[:0], corpus.payload).shape == (0, F.N_FEATURES)


def test_features_match_a_per_flow_reference(corpus):
    """Every corpus flow: head bytes, window statistics and packet sequence computed the
    slow, obvious way agree with the vectorised extractor."""
    X = F.extract_records(corpus.records, corpus.payload)
    col = {n: i for i, n in enumerate(F.FEATURE_NAMES)}
    pay = corpus.payload
    for i, r in enumerate(corpus.records):
        off, lc, ls = int(r["pay_off"]), int(r["pay_len_c2s"]), int(r["pay_len_s2c"])
        for d, data in (("c2s", pay[off:off + lc]), ("s2c", pay[off + lc:off + lc + ls])):
            head = list(data[:F.HEAD_BYTES]) + [-1] * (F.HEAD_BYTES - len(data[:F.HEAD_BYTES]))
            got = X[i, col[f"{d}_byte_0"]:col[f"{d}_byte_0"] + F.HEAD_BYTES]
            assert got.tolist() == head, (i, d)
            for k, v in _ref_window(data[:F.WINDOW]).items():
                assert X[i, col[f"{d}_{k}"]] == pytest.approx(v, abs=1e-4), (i, d, k)
        n = int(r["npk"])
        seq = [(-s if d else s) for s, d in zip(r["pk_size"][:n].tolist(), r["pk_dir"][:n].tolist()) if s]
        seq = (seq + [0] * F.SEQ_PACKETS)[:F.SEQ_PACKETS]
        assert X[i, col["pkt_0_size"]:col["pkt_0_size"] + F.SEQ_PACKETS].tolist() == seq, i
        sizes = [s for s in seq if s]
        assert X[i, col["first_dir"]] == (-1 if not sizes else int(sizes[0] < 0))
        assert X[i, col["c2s_pkts"]] == sum(1 for s, d in zip(r["pk_size"][:n], r["pk_dir"][:n]) if s and not d)
        assert X[i, col["is_udp"]] == (r["proto"] == 17)


def test_gaps_are_scale_free(corpus):
    """Stretching every gap of a flow alike (a longer round trip) moves no gap feature
    by more than rounding."""
    r = corpus.records.copy()
    r2 = r.copy()
    r2["pk_iat"] = np.minimum(r["pk_iat"].astype(np.int64) * 1000, 2**32 - 1).astype(np.uint32)
    gaps = [i for i, n in enumerate(F.FEATURE_NAMES) if "gap" in n]
    a = F.extract_records(r, corpus.payload)[:, gaps]
    b = F.extract_records(r2, corpus.payload)[:, gaps]
    assert np.allclose(a, b, atol=0.01)


def test_only_the_declared_fields_are_read(corpus):
    """Scrambling every record field outside FIELDS_READ - ports, addresses, VLAN,
    timestamps, tunnel, flags, counters, end reason - changes no feature."""
    rng = np.random.default_rng(7)
    r = corpus.records.copy()
    raw = r.view(np.uint8).reshape(len(r), r.dtype.itemsize)
    for name in r.dtype.names:
        if name in F.FIELDS_READ:
            continue
        dt, off = r.dtype.fields[name][:2]
        raw[:, off:off + dt.itemsize] = rng.integers(0, 256, (len(r), dt.itemsize), dtype=np.uint8)
    assert np.array_equal(F.extract_records(corpus.records, corpus.payload), F.extract_records(r, corpus.payload))
    assert {"client_port", "server_port", "client_addr", "server_addr", "vlan", "ts_start"}.isdisjoint(F.FIELDS_READ)


def test_chunking_changes_nothing(corpus, monkeypatch):
    a = F.extract_records(corpus.records, corpus.payload)
    monkeypatch.setattr(F, "CHUNK", 7)
    assert np.array_equal(a, F.extract_records(corpus.records, corpus.payload))


# --- end to end: rewrite a capture's ports, addresses, TTLs and MACs ---------------------

def rewrite(src: str, dst: str, seed: int) -> None:
    """Every endpoint (address, port) gets a new random address and port (the same each
    time it appears); every packet a random TTL / hop limit and random MACs."""
    rng = random.Random(seed)
    ends = {}

    def new_end(addr, port, v6):
        key = (addr, port)
        if key not in ends:
            a = bytes([0xfd] + [rng.randrange(256) for _ in range(15)]) if v6 else \
                bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
            ends[key] = (a, rng.randrange(1024, 65536))
        return ends[key]

    with open(src, "rb") as fi, open(dst, "wb") as fo:
        rd = dpkt.pcap.Reader(fi)
        wr = dpkt.pcap.Writer(fo, snaplen=262144, linktype=rd.datalink())
        for ts, buf in rd:
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                v6 = isinstance(ip, dpkt.ip6.IP6)
                l4 = ip.data
                (ip.src, l4.sport), (ip.dst, l4.dport) = new_end(ip.src, l4.sport, v6), new_end(ip.dst, l4.dport, v6)
                if v6:
                    ip.hlim = rng.randrange(1, 256)
                else:
                    ip.ttl = rng.randrange(1, 256)
                    ip.sum = 0
                l4.sum = 0
                eth.src = bytes(rng.randrange(256) for _ in range(6))
                eth.dst = bytes(rng.randrange(256) for _ in range(6))
            wr.writepkt(bytes(eth), ts=ts)


def _by_start(path):
    out = {}
    for batch in FlowReader(path).batches():
        X = F.extract(batch)
        for i, f in enumerate(batch):
            out[(f.transport, int(f._row["ts_start"]))] = (X[i], (f.client_port, f.client))
    return out


def test_rewritten_ports_addresses_ttls_change_no_prediction(tmp_path):
    model = load()
    caps = sorted(glob.glob(os.path.join(CORPUS, "*.pcap")))
    rng = random.Random(20261121)
    # every protocol's first capture, plus a random sample of the rest
    first = {}
    for c in caps:
        first.setdefault(os.path.basename(c).rsplit("-", 1)[0], c)
    chosen = sorted(set(first.values()) | set(rng.sample(caps, 20)))
    checked = 0
    for n, cap in enumerate(chosen):
        out = str(tmp_path / f"r{n}.pcap")
        rewrite(cap, out, seed=n)
        a, b = _by_start(cap), _by_start(out)
        assert a.keys() == b.keys(), cap
        Xa = np.stack([a[k][0] for k in sorted(a)])
        Xb = np.stack([b[k][0] for k in sorted(a)])
        assert [a[k][1] for k in sorted(a)] != [b[k][1] for k in sorted(a)], "the rewrite changed nothing"
        assert np.array_equal(Xa, Xb), cap
        pa, pb = model.predict_proba(Xa), model.predict_proba(Xb)
        assert np.array_equal(pa, pb), cap
        checked += len(Xa)
    assert checked >= 60
