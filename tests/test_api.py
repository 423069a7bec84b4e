"""classifier.api, the library an IDS embeds: packets in through feed / feed_batch, streams
through classify_stream, the same records as `analyze` on the file; errors, threads (live
capture: tests/test_live.py).

The packets of the corpus are read with the stdlib (`read_pcap` below), independently
of the fast path's capture reader. Records are compared whole, every JSON lines field;
`capture` is whatever name the caller gives the Classifier (here the file's path, so
that it compares equal too)."""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import classifier
from classifier.api import PACKET_DTYPE, Classifier, FlowResult, classify_stream, packet_index
from classifier.errors import InputError, PortlensError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = sorted(glob.glob(os.path.join(ROOT, "pcaps", "corpus", "*.pcap")))


def read_pcap(path):
    """(ts_ns, linktype, frame, wirelen) of every record of a classic pcap, read with
    struct (either byte order, micro- or nanosecond timestamps)."""
    with open(path, "rb") as fh:
        data = fh.read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0xFFFF
    pos, out = 24, []
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from(order + "IIII", data, pos)
        pos += 16
        out.append((sec * 10**9 + (frac if nsec else frac * 1000), linktype, data[pos:pos + incl], orig))
        pos += incl
    return out


def _key(rec):
    return (rec["ts_start"], rec["transport"], rec["client"], rec["client_port"], rec["server"],
            rec["server_port"], rec["ts_end"])


def _sorted(recs):
    return sorted(recs, key=_key)


_ANALYZED = {}


@pytest.fixture
def model_read_once(monkeypatch):
    """The shipped model read and checked once for the corpus-wide tests below, which
    make a Classifier (and an `analyze`) per capture: each one reads models/model.bin
    (3.3 MB) and checks its sha256 again, ~2.5 ms, ~5 s of CPU over the ~330 captures
    times three tests. Every Classifier still gets the Model that `load()` returns,
    the same object each time; other paths (a model directory given) load as usual."""
    from classifier.ml import model as mlmodel
    real, shipped = mlmodel.load, []

    def load(path=None):
        if path is not None:
            return real(path)
        if not shipped:
            shipped.append(real())
        return shipped[0]
    monkeypatch.setattr(mlmodel, "load", load)


def analyzed(path):
    if path not in _ANALYZED:
        _ANALYZED[path] = list(classifier.analyze(path))
    return _ANALYZED[path]


def test_the_corpus_is_there():
    assert len(CORPUS) > 300


def test_feed_gives_the_records_analyze_gives_for_every_corpus_capture(model_read_once):
    differ = []
    for path in CORPUS:
        with Classifier(capture=path) as clf:
            for ts, lt, frame, wirelen in read_pcap(path):
                clf.feed(ts / 1e9, lt, frame, wirelen)
        got = _sorted(r.to_dict() for r in clf)
        if got != _sorted(analyzed(path)):
            differ.append(os.path.basename(path))
    assert not differ, f"feed differs from analyze on {len(differ)} captures: {differ[:5]}"


def _index_of(packets):
    frames = b"".join(p[2] for p in packets)
    lens = [len(p[2]) for p in packets]
    offs = np.concatenate([[0], np.cumsum(lens)[:-1]]) if lens else []
    return frames, packet_index([p[0] for p in packets], offs, lens, [p[3] for p in packets])


def test_feed_batch_gives_the_records_analyze_gives_for_every_corpus_capture(model_read_once):
    differ = []
    for path in CORPUS:
        packets = read_pcap(path)
        frames, index = _index_of(packets)
        with Classifier(capture=path) as clf:
            # in three calls, split anywhere: batching changes nothing
            cut = [0, len(index) // 3, len(index) // 2, len(index)]
            for a, b in zip(cut, cut[1:]):
                assert clf.feed_batch(frames, index[a:b], packets[0][1]) == b - a
        if _sorted(r.to_dict() for r in clf) != _sorted(analyzed(path)):
            differ.append(os.path.basename(path))
    assert not differ, f"feed_batch differs from analyze on {len(differ)} captures: {differ[:5]}"


def test_feed_batch_takes_pcapy_ng_s_index_as_it_comes():
    path = [p for p in CORPUS if "http-1" in p][0]
    packets = read_pcap(path)
    frames = b"".join(p[2] for p in packets)
    meta, off = bytearray(), 0
    for ts, _lt, frame, _wl in packets:
        meta += struct.pack("=IIII", ts // 10**9, ts % 10**9 // 1000, off, len(frame))
        off += len(frame)
    with Classifier(capture=path) as clf:
        assert clf.feed_batch(frames, bytes(meta), 1) == len(packets)
    assert _sorted(r.to_dict() for r in clf) == _sorted(analyzed(path))


def _streams_of(path):
    """(flow, what classify_stream is given) for every TCP/UDP flow with payload."""
    from classifier.flows import FlowReader
    for flow in FlowReader(path):
        if flow.transport not in ("tcp", "udp") or not (flow.payload_c2s or flow.payload_s2c):
            continue
        packets = [(d, s, g / 1e6) for d, s, g in zip(flow.pkt_dirs, flow.pkt_sizes, flow.pkt_iats)]
        kw = dict(packets=packets, client=flow.client, client_port=flow.client_port,
                  server=flow.server, server_port=flow.server_port)
        if flow.transport == "udp":
            dgrams = [(0, d) for d in flow.datagrams_c2s] + [(1, d) for d in flow.datagrams_s2c]
            yield flow, (b"", b"", "udp", dgrams), kw
        else:
            yield flow, (flow.payload_c2s, flow.payload_s2c, "tcp", None), kw


def test_classify_stream_on_the_corpus_streams_gives_the_protocol_analyze_gives(model_read_once):
    clf = Classifier()
    checked, differ = 0, []
    for path in CORPUS:
        want = {(r["transport"], r["client"], r["client_port"], r["server"], r["server_port"], r["ts_start"]):
                r for r in analyzed(path)}
        for flow, args, kw in _streams_of(path):
            rec = want[flow.key()[:5] + ((flow._row["ts_start"] // 1000).item() / 1e6,)]
            if rec["protocol"] == "ftp-data":
                continue            # linked from its control flow: a single stream cannot know
            got = clf.classify_stream(*args, **kw)
            checked += 1
            if (got.protocol, got.source) != (rec["protocol"], rec["source"]):
                differ.append((os.path.basename(path), got.protocol, rec["protocol"]))
    assert checked > 350
    assert not differ, f"{len(differ)} of {checked} streams differ: {differ[:5]}"


def test_classify_stream_alone_http_and_the_verdict_needs_a_port():
    req, resp = b"GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    flow = classify_stream(req, resp, "tcp")
    assert (flow.protocol, flow.source, flow.verdict, flow.capture) == ("http", "dpi", None, "stream")
    assert flow.metadata["host"] == "example.test"
    on_ssh = classify_stream(req, resp, "tcp", client="10.0.0.1", client_port=40000, server="10.0.0.2",
                             server_port=22)
    assert on_ssh.protocol == "http" and on_ssh.port_protocol == "ssh" and on_ssh.verdict == "mismatch"
    # the ports changed the verdict only
    assert (on_ssh.protocol, on_ssh.metadata) == (flow.protocol, flow.metadata)


def test_classify_stream_udp_dns_as_bytes_or_datagrams():
    q = bytes.fromhex("12340100000100000000000003777777076578616d706c650000010001")
    r = bytes.fromhex("12348180000100010000000003777777076578616d706c650000010001"
                      "c00c000100010000003c00040a000001")
    a = classify_stream(q, r, "udp")
    b = classify_stream(b"", b"", "udp", [(0, q), (1, r)])
    assert a.protocol == b.protocol == "dns"
    assert a.to_dict() == b.to_dict()


def test_classify_stream_budget_is_the_fast_path_s():
    big = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Pad: " + b"a" * 10000 + b"\r\n\r\n"
    flow = classify_stream(big, b"", "tcp")
    assert flow.payload["c2s"] == 4096 and "truncated" in flow.payload["notes"]
    assert flow.bytes_c2s == len(big)


@pytest.mark.parametrize("call, message", [
    (lambda: classify_stream("GET /", b"", "tcp"), "client_bytes must be bytes"),
    (lambda: classify_stream(b"x", b"", "sctp"), "transport must be"),
    (lambda: classify_stream(b"x", b"", "tcp", [(0, b"x")]), "datagrams are for UDP"),
    (lambda: classify_stream(b"x", b"", "udp", [(0, b"y")]), "either as datagrams"),
    (lambda: classify_stream(b"", b"", "udp", [(2, b"y")]), "direction is 0"),
    (lambda: classify_stream(b"x", b"", "tcp", server="not-an-ip"), "not an IP address"),
    (lambda: classify_stream(b"x", b"", "tcp", server_port=70000), "port number"),
    (lambda: classify_stream(b"x", b"", "tcp", packets=[(0,)]), "packets must be"),
    (lambda: Classifier(ml="sometimes"), "ml must be one of"),
    (lambda: Classifier(config={"idle_tcp": 1}), "config must be a FlowConfig"),
    (lambda: Classifier(batch_flows=0), "batch_flows"),
    (lambda: Classifier().feed(1.0, 1, "frame"), "feed:"),
    (lambda: Classifier().feed("noon", 1, b"x"), "timestamp must be"),
    (lambda: Classifier().feed(float("nan"), 1, b"x"), "timestamp must be"),
    (lambda: Classifier().feed(10**12, 1, b"x"), "out of range"),
    (lambda: Classifier().feed(float("inf"), 1, b"x"), "timestamp must be"),
    (lambda: Classifier().feed(1e12, 1, b"x"), "out of range"),
    (lambda: Classifier().feed(1.0, 1, b"x", -1), "feed:"),
    (lambda: Classifier().feed_batch(b"", np.zeros(1, np.int64), 1), "not PACKET_DTYPE"),
    (lambda: Classifier().feed_batch(b"", b"123", 1), "16 bytes per packet"),
])
def test_bad_arguments_are_one_line_input_errors(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, (PortlensError, ValueError))


def test_a_missing_model_is_a_portlens_error(tmp_path):
    with pytest.raises(PortlensError, match="no model manifest"):
        Classifier(model=str(tmp_path))


def _udp_frame(cport, sport, data, src="10.0.0.1", dst="10.0.0.2"):
    from pcapgen import ether, ipv4, udp
    return ether(ipv4(src, dst, udp(cport, sport, data)))


def test_damaged_frames_and_index_entries_are_counted_not_raised():
    clf = Classifier()
    clf.feed(1.0, 1, b"\x00" * 5)                   # a runt Ethernet frame
    clf.feed(1.0, 999, b"\x00" * 64)                # a link type nobody decodes
    idx = packet_index([2 * 10**9], [100], [60])    # points past the end of its frames
    clf.feed_batch(b"\x00" * 20, idx, 1)
    s = clf.stats()
    assert (s["packets"], s["damaged"], s["undecodable"], s["flows"]) == (2, 1, 2, 0)
    clf.close()
    assert clf.stats()["packets"] == 2


def test_random_frames_and_index_entries_never_crash():
    import random
    rnd = random.Random(18)
    clf = Classifier()
    good = _udp_frame(40000, 9999, b"x" * 40)
    for i in range(3000):
        frame = bytearray(good[:rnd.randrange(1, len(good) + 1)]) if i % 2 else bytearray(
            rnd.randbytes(rnd.randrange(1, 200)))
        for _ in range(rnd.randrange(4)):
            frame[rnd.randrange(len(frame))] = rnd.randrange(256)
        clf.feed(100.0 + i / 1000, rnd.choice([0, 1, 101, 113, 228, 229, 276, 12, 65535]), bytes(frame))
    frames = rnd.randbytes(4096)
    idx = packet_index([10**11 + i for i in range(2000)],
                       [rnd.choice([0, 4000, 4095, 4096, 2**63, 2**64 - 1]) for _ in range(2000)],
                       [rnd.choice([1, 60, 96, 4096, 2**32 - 1]) for _ in range(2000)])
    clf.feed_batch(frames, idx, 1)
    ok = (idx["offset"] + idx["caplen"].astype(np.uint64) <= 4096) & (idx["offset"] < 4096)
    assert clf.stats()["damaged"] == int((~ok).sum())
    clf.close()
    assert clf.stats()["packets"] == 3000 + int(ok.sum())


def test_classify_stream_from_threads_at_once():
    req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    out, errors = [], []

    def work():
        try:
            out.extend(classify_stream(req, b"HTTP/1.1 200 OK\r\n\r\n").protocol for _ in range(50))
        except Exception as e:                      # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and out == ["http"] * 200


def test_feed_after_close_is_an_input_error_and_close_twice_is_fine():
    clf = Classifier()
    clf.close()
    clf.close()
    assert clf.closed
    with pytest.raises(InputError, match="closed"):
        clf.feed(1.0, 1, _udp_frame(1000, 53, b"x"))
    assert list(clf) == []


def test_on_flow_gets_a_flow_as_it_ends_not_at_close():
    seen = []
    clf = Classifier(config=classifier.FlowConfig(idle_udp=5.0), max_delay=0.0)
    clf.on_flow(seen.append)
    clf.feed(100.0, 1, _udp_frame(40000, 9999, b"hello"))
    clf.feed(100.1, 1, _udp_frame(9999, 40000, b"world", "10.0.0.2", "10.0.0.1"))
    assert seen == []
    clf.feed(200.0, 1, _udp_frame(40001, 9998, b"later"))      # 100 s later: the first has idled out
    assert len(seen) == 1 and seen[0].end_reason == "idle-timeout"
    assert (seen[0].client_port, seen[0].packets_c2s, seen[0].packets_s2c) == (40000, 1, 1)
    assert list(clf) == []                          # callbacks take the flows, not the queue
    clf.close()
    assert [f.client_port for f in seen] == [40000, 40001] and seen[1].end_reason == "eof"


def test_tick_ends_idle_flows_while_the_wire_is_quiet():
    clf = Classifier(config=classifier.FlowConfig(idle_udp=5.0))
    clf.feed(100.0, 1, _udp_frame(40000, 9999, b"hello"))
    assert list(clf) == []
    clf.tick(106.0)
    assert [f.end_reason for f in clf] == ["idle-timeout"]


def test_flush_delivers_open_flows_and_the_classifier_goes_on():
    clf = Classifier()
    clf.feed(100.0, 1, _udp_frame(40000, 9999, b"a"))
    assert clf.flush() == 1
    assert [f.client_port for f in clf] == [40000]
    clf.feed(101.0, 1, _udp_frame(40000, 9999, b"b"))
    clf.close()
    assert [f.client_port for f in clf] == [40000]


def test_evictions_at_the_flow_cap_are_in_stats():
    clf = Classifier(config=classifier.FlowConfig(max_flows=2))
    for i in range(5):
        clf.feed(100.0 + i, 1, _udp_frame(40000 + i, 9999, b"x"))
    assert clf.stats()["evictions"] == 3
    clf.close()
    assert len(list(clf)) == 5


def test_result_record_is_the_jsonl_line_of_the_cli():
    path = [p for p in CORPUS if "tls-1" in p][0]
    out = subprocess.run([sys.executable, "-m", "classifier", "analyze", path, "-f", "jsonl"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    results = list(classifier.api.analyze(path))
    assert [list(r.to_dict()) for r in results] == [list(line) for line in lines]   # key order too
    assert [r.to_dict() for r in results] == lines
    assert [FlowResult.from_dict(line) for line in lines] == results
    assert results[0]["protocol"] == results[0].protocol
    with pytest.raises(KeyError):
        results[0]["nope"]


def test_ml_off_records_have_no_ml_key_as_the_jsonl():
    path = [p for p in CORPUS if "dns-1" in p][0]
    packets = read_pcap(path)
    with Classifier(ml="off", capture=path) as clf:
        for ts, lt, frame, wl in packets:
            clf.feed(ts / 1e9, lt, frame, wl)
    got = [r.to_dict() for r in clf]
    assert got and all("ml" not in r for r in got)
    assert _sorted(got) == _sorted(classifier.analyze(path, ml="off"))


def test_analyze_takes_one_path_or_several():
    a, b = CORPUS[0], CORPUS[1]
    both = list(classifier.api.analyze([a, b]))
    assert [r.to_dict() for r in both] == analyzed(a) + analyzed(b)
    assert [r.to_dict() for r in classifier.api.analyze(a)] == analyzed(a)


def test_dataframe_and_arrow_need_their_package(monkeypatch):
    from classifier.api import to_arrow, to_dataframe
    from classifier.errors import MissingDependencyError
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match="pandas"):
        to_dataframe([])
    with pytest.raises(MissingDependencyError, match="pyarrow"):
        to_arrow([])


def test_dataframe_has_a_row_per_flow_and_the_record_s_columns():
    pytest.importorskip("pandas", reason="pandas is optional: to_dataframe is tested where it is installed")
    from classifier.api import to_dataframe
    results = list(classifier.api.analyze(CORPUS[0]))
    df = to_dataframe(results)
    assert len(df) == len(results) and list(df.columns) == list(results[0].to_dict())


def test_arrow_has_a_row_per_flow():
    pytest.importorskip("pyarrow", reason="pyarrow is optional: to_arrow is tested where it is installed")
    from classifier.api import to_arrow
    results = list(classifier.api.analyze(CORPUS[0]))
    table = to_arrow(results)
    assert table.num_rows == len(results)
    assert json.loads(table.column("metadata")[0].as_py()) == results[0].metadata


# ------------------------------------------------------------------ threads
def test_two_classifiers_share_no_detector_engine_model_or_linker():
    from classifier.detectors.engine import default_engine
    a, b = Classifier(), Classifier()
    assert a._analyzer.engine is not b._analyzer.engine
    assert default_engine() not in (a._analyzer.engine, b._analyzer.engine)
    assert a._analyzer.ml.model is not b._analyzer.ml.model
    assert a._engine is not b._engine
    assert a._analyzer.registry._cache is not b._analyzer.registry._cache
    assert a._analyzer.registry.verdict_cache is not b._analyzer.registry.verdict_cache
    # a probe error counted in one instance's engine is reported by that one only
    a._analyzer.engine._core.errors["http"] = [1, "boom"]
    path = [p for p in CORPUS if "http-1" in p][0]
    for clf in (a, b):
        for ts, lt, frame, wl in read_pcap(path):
            clf.feed(ts / 1e9, lt, frame, wl)
        clf.close()
    assert a._analyzer.take_probe_errors() == {"http": [1, "boom"]}
    assert b._analyzer.take_probe_errors() == {}


def test_classifiers_in_threads_give_what_they_give_alone():
    paths = CORPUS[::12]
    packets = {p: read_pcap(p) for p in paths}
    want = {p: _sorted(analyzed(p)) for p in paths}
    got, errors = {}, []

    def work(mine):
        try:
            for path in mine:
                with Classifier(capture=path) as clf:
                    frames, index = _index_of(packets[path])
                    clf.feed_batch(frames, index, 1)
                got[path] = _sorted(r.to_dict() for r in clf)
        except Exception as e:                      # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(paths[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert got == want


def test_one_classifier_fed_in_one_thread_drained_in_another():
    clf = Classifier(hold_unlabelled=False, batch_flows=8)
    n, drained, done = 400, [], threading.Event()

    def drain():
        while not done.is_set() or clf.stats()["queued"]:
            drained.extend(clf)
            time.sleep(0.001)

    t = threading.Thread(target=drain)
    t.start()
    for i in range(n):
        clf.feed(100.0 + i, 1, _udp_frame(1024 + i, 9999, b"x"))
        clf.feed(100.0 + i, 1, _udp_frame(1024 + i, 9999, b"x"))
        if i % 50 == 0:
            clf.tick(100.0 + i + 500)
    clf.close()
    done.set()
    t.join()
    drained.extend(clf)
    assert sorted(f.client_port for f in drained) == list(range(1024, 1024 + n))


# ------------------------------------------------------------------ live
# classifier.api.live's tests are in tests/test_live.py, with every other capture on lo
# (one file runs on one xdist worker, so no two captures on lo run at once).


# ------------------------------------------------------------------ types
def test_mypy_strict_passes_on_the_public_module(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed (pip install 'portlens[dev]')")
    user = tmp_path / "user.py"
    user.write_text(
        "from typing import Any\n"
        "import numpy as np\n"
        "from classifier.api import Classifier, FlowResult, classify_stream, live, packet_index, PACKET_DTYPE\n"
        "from classifier.flows import FlowConfig\n"
        "def watch() -> dict[str, Any]:\n"
        "    with live('lo', 'udp', FlowConfig(idle_udp=5.0), duration=1.0) as s:\n"
        "        for f in s:\n"
        "            print(f.to_dict()['protocol'], f.verdict)\n"
        "    return s.stats()\n"
        "def batch(frames: bytes) -> int:\n"
        "    idx: np.ndarray = packet_index([0], [0], [len(frames)])\n"
        "    assert idx.dtype == PACKET_DTYPE\n"
        "    with Classifier() as clf:\n"
        "        return clf.feed_batch(frames, idx, 1)\n"
        "def labels(frames: list[tuple[float, bytes]]) -> list[str]:\n"
        "    with Classifier() as clf:\n"
        "        for ts, frame in frames:\n"
        "            clf.feed(ts, 1, frame)\n"
        "    out: list[FlowResult] = list(clf)\n"
        "    return [f.protocol for f in out] + [classify_stream(b'', b'', 'tcp').protocol]\n")
    res = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                          "--no-incremental", "--cache-dir", os.devnull,
                          os.path.join(ROOT, "classifier", "api.py"), str(user)],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


def test_min_confidence_reaches_the_verdicts_and_is_checked():
    """Classifier(min_confidence=P) is the library's --min-confidence: the analyzer judges
    model guesses against it (the rule itself: test_verdict); a value that is not a
    probability is an InputError, as on the command line."""
    from classifier.verdict import judge_guess  # noqa: F401  (the rule it feeds)
    with Classifier(min_confidence=0.75) as clf:
        assert clf._analyzer.min_confidence == 0.75
    for bad in (1.5, -0.1, "0.5", True, float("nan")):
        with pytest.raises(InputError, match="min_confidence must be a probability"):
            Classifier(min_confidence=bad)
