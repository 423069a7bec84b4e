"""--jobs N (classifier.parallel): the same records as --jobs 1, summaries that add up,
a deterministic merge order, and a stop that leaves no worker and no temporary file.

The comparisons run the CLI in this process with the shard threshold at 0, so that
every capture, however small, is read by both workers as two shards: the hardest case
for the shard key (fragments, tunnels, both directions, FTP control and data)."""
import json
import os
import signal
import struct
import subprocess
import sys
import time

import pytest

from pcapgen import eth_wrap, ether, ipv4, ipv6, tcp_conversation, udp, write_pcap
from refdata import CORPUS_DIR

from classifier import cli, parallel
from classifier.flows import FlowConfig, FlowReader
from classifier.schema import batch_records

PCAPS = CORPUS_DIR                      # pcaps/: the corpus and the generated captures
DEMO = os.path.join(CORPUS_DIR, "corpus", "mismatch-ssh-on-443.pcap")


def _run(argv, capsys):
    code = cli.main(argv)
    return code, capsys.readouterr().err


def _lines(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read().splitlines()


@pytest.fixture
def every_capture_sharded(monkeypatch):
    monkeypatch.setattr(parallel, "SHARD_MIN_BYTES", 0)


# ------------------------------------------------------------------ a capture of fragments and tunnels

def _frag4(src, dst, ident, dgram, proto, pieces):
    """IPv4 fragments of an L4 datagram: pieces = [(offset, length, more)]."""
    out = []
    for off, ln, more in pieces:
        body = dgram[off:off + ln]
        out.append(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident,
                               (0x2000 if more else 0) | (off // 8), 64, proto, 0,
                               bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))) + body)
    return out


def _gre(outer_src, outer_dst, inner_l3):
    return ipv4(outer_src, outer_dst, struct.pack("!HH", 0, 0x0800) + inner_l3, proto=47)


def _vxlan(outer_src, outer_dst, inner_frame):
    vx = struct.pack("!BBHI", 0x08, 0, 0, 100 << 8)
    return ipv4(outer_src, outer_dst, udp(49152, 4789, vx + inner_frame))


def fragments_and_tunnels_pcap(path, hosts=48):
    """`hosts` host pairs, each with: an HTTP conversation (plain, in GRE, or in VXLAN,
    by turn; the tunnels' outer addresses shared by all pairs, so only the inner ones
    can keep a flow together); a UDP exchange whose datagrams are IPv4 fragments both
    ways, out of order, one set inside GRE; an IPv6 UDP datagram in two fragments. All
    interleaved on one clock, so a shard sees other shards' fragments in between."""
    frames = []
    for i in range(hosts):
        cli_ip, srv_ip = f"10.{i // 200}.{i % 200}.1", f"172.16.{i % 250}.{2 + i // 250}"
        t0 = 1000.0 + i * 0.0007
        conv = tcp_conversation(cli_ip, srv_ip, 40000 + i, 80, t0=t0,
                                request=b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i,
                                response=b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        if i % 3 == 0:
            frames += eth_wrap(conv)
        elif i % 3 == 1:
            frames += [(ts, ether(_gre("203.0.113.1", "203.0.113.2", l3))) for ts, l3 in conv]
        else:
            frames += [(ts, ether(_vxlan("198.18.0.1", "198.18.0.2", ether(l3)))) for ts, l3 in conv]
        # UDP, fragmented both ways: query cli -> srv, reply srv -> cli.
        q = bytes(udp(53000 + i, 5353, b"Q" * 1500 + bytes([i % 256]) * 200))
        r = bytes(udp(5353, 53000 + i, b"R" * 2500))
        qf = _frag4(cli_ip, srv_ip, 1000 + i, q, 17, [(0, 800, True), (800, 800, True), (1600, len(q) - 1600, False)])
        rf = _frag4(srv_ip, cli_ip, 3000 + i, r, 17, [(0, 1200, True), (1200, len(r) - 1200, False)])
        tq = t0 + 0.01
        for k, fr in zip((2, 0, 1), (qf[2], qf[0], qf[1])):            # last fragment first
            frames.append((tq + 0.0001 * k, ether(fr if i % 4 else _gre("203.0.113.1", "203.0.113.2", fr))))
        for k, fr in enumerate(reversed(rf)):
            frames.append((tq + 0.001 + 0.0001 * k, ether(fr)))
        # IPv6, a datagram in two fragments.
        d6 = bytes(udp(4000 + i, 4001, b"z" * 3000))
        for k, (off, ln, more) in enumerate([(0, 1448, True), (1448, len(d6) - 1448, False)]):
            fh = struct.pack("!BBHI", 17, 0, off | more, 0xA000 + i)
            frames.append((tq + 0.002 + 0.0001 * k,
                           ether(ipv6(f"2001:db8::{i + 1:x}", f"2001:db8:1::{i + 1:x}", b"", nxt=44,
                                      ext=fh + d6[off:off + ln]), 0x86DD)))
    frames.sort(key=lambda f: f[0])
    write_pcap(path, frames)
    return str(path)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return fragments_and_tunnels_pcap(tmp_path_factory.mktemp("mixed") / "mixed.pcap")


def _records(path, shard=(0, 1)):
    reader = FlowReader(path, FlowConfig(shard=shard))
    out = []
    for b in reader.batches():
        out += batch_records(b)
    return out, reader.stats


def _key(rec):
    return json.dumps(rec, sort_keys=True, default=str)


def test_shards_of_fragments_and_tunnels_are_a_partition_of_the_flows(mixed):
    """Each flow in exactly one shard, whole: its packets, bytes and payload as a reader
    keeping every flow has them (a key from ports would lose the fragments; one from
    outer addresses would put every tunnelled flow in one shard)."""
    every, stats = _records(mixed)
    assert stats["frag_reassembled"] == 48 * 3 and stats["tunneled"] > 0
    assert {r["tunnel"] for r in every} == {None, "gre", "vxlan"}
    parts = [_records(mixed, (k, 3)) for k in range(3)]
    assert all(len(recs) > 0 for recs, _ in parts)
    assert sorted(map(_key, every)) == sorted(_key(r) for recs, _ in parts for r in recs)
    assert sum(s["flows"] for _, s in parts) == stats["flows"]
    assert all(s["packets"] == stats["packets"] for _, s in parts)
    # Every worker reassembles every datagram (the shard is decided after), and the
    # other shards' packets are counted as such.
    assert all(s["frag_reassembled"] == stats["frag_reassembled"] for _, s in parts)
    assert sum(s["shard_skipped"] for _, s in parts) == 2 * (stats["packets"] - stats["non_ip"]
                                                             - stats["frag_packets"] + stats["frag_reassembled"])


def _shard_of(tmp_path, src, dst, n=2):
    path = str(tmp_path / "one.pcap")
    write_pcap(path, eth_wrap([(1.0, ipv4(src, dst, udp(1, 2, b"x")))]))
    return next(k for k in range(n) if _records(path, (k, n))[0])


def test_a_shard_ends_a_quiet_flow_idle_as_a_full_reader_does(tmp_path):
    """A flow whose shard sees no packet after it, while another shard's flow goes on
    for 300 s: it ends idle (the sweep runs at the other shard's packets' times), as in
    a reader keeping every flow, not at the end of input."""
    mine = _shard_of(tmp_path, "10.0.0.1", "10.0.0.2")
    other = next(f"10.9.{i}.1" for i in range(1, 250) if _shard_of(tmp_path, f"10.9.{i}.1", "10.9.0.2") != mine)
    a = eth_wrap([(1.0, ipv4("10.0.0.1", "10.0.0.2", udp(1000, 2000, b"a")))])
    b = eth_wrap([(1.0 + t, ipv4(other, "10.9.0.2", udp(1000, 2000, b"b"))) for t in range(1, 300)])
    path = str(tmp_path / "idle.pcap")
    write_pcap(path, a + b)
    every, _ = _records(path, (0, 1))
    assert ("10.0.0.1", "idle-timeout") in {(r["client"], r["end_reason"]) for r in every}
    alone, _ = _records(path, (mine, 2))
    assert [(r["client"], r["end_reason"]) for r in alone] == [("10.0.0.1", "idle-timeout")]
    sharded = sorted(map(_key, alone + _records(path, (1 - mine, 2))[0]))
    assert sharded == sorted(map(_key, every))


@pytest.mark.parametrize("command,fmt", [("analyze", "jsonl"), ("analyze", "csv"), ("flows", "jsonl")])
def test_jobs_2_gives_the_records_of_jobs_1(tmp_path, capsys, every_capture_sharded, mixed, command, fmt):
    """Every capture of pcaps/ and the fragments-and-tunnels one, each split in two
    shards: the same records (sorted) and the same summary lines, which add up the
    shards (packets once, flows summed). jsonl is written by the workers, csv by the
    parent from their records: both ways."""
    outs, errs = {}, {}
    for jobs in (1, 2):
        out = str(tmp_path / f"j{jobs}.{fmt}")
        code, errs[jobs] = _run([command, PCAPS, mixed, "-f", fmt, "-o", out, "-j", str(jobs)], capsys)
        assert code == 0, errs[jobs]
        outs[jobs] = _lines(out)
    assert len(outs[1]) > 400
    if fmt == "csv":
        assert outs[1][0] == outs[2][0]            # the header, once
    assert sorted(outs[1]) == sorted(outs[2])
    assert errs[1] == errs[2]
    assert f"portlens: {mixed}: " in errs[2] and "fragments dropped 0" in errs[2]


def test_workers_from_a_fork_server_give_the_same_records(tmp_path, capsys, every_capture_sharded, mixed,
                                                          monkeypatch):
    """Where fork cannot be used (a thread in the parent, no fork on the platform) the
    workers start from a fork server and build their own Analyzer from the options."""
    import multiprocessing
    started = []

    def forkserver():
        ctx = multiprocessing.get_context("forkserver")
        started.append(ctx)
        return ctx
    monkeypatch.setattr(parallel, "_context", forkserver)
    outs = {}
    for jobs in (1, 2):
        out = str(tmp_path / f"f{jobs}.jsonl")
        code, _ = _run(["analyze", mixed, DEMO, "-f", "jsonl", "-o", out, "-j", str(jobs), "--only",
                        "match,unregistered-port"], capsys)
        assert code == 0
        outs[jobs] = sorted(_lines(out))
    assert started and outs[1] == outs[2] and len(outs[1]) >= 48


def test_jobs_2_merge_order_is_fixed(tmp_path, capsys, every_capture_sharded, mixed):
    """The order depends on the input and N only: two runs, the same bytes."""
    runs = []
    for n in range(2):
        out = str(tmp_path / f"r{n}.jsonl")
        code, _ = _run(["analyze", mixed, DEMO, "-f", "jsonl", "-o", out, "-j", "2"], capsys)
        assert code == 0
        runs.append(_lines(out))
    assert runs[0] == runs[1]
    # Captures in the order given: the demo's one flow comes last.
    assert json.loads(runs[0][-1])["capture"] == DEMO


def test_audit_jobs_2_finds_the_violations_of_jobs_1(tmp_path, capsys, every_capture_sharded, mixed):
    policy = os.path.join(os.path.dirname(CORPUS_DIR), "examples", "approved.toml")
    outs, codes, errs = {}, {}, {}
    for jobs in (1, 2):
        out = str(tmp_path / f"a{jobs}.jsonl")
        codes[jobs], errs[jobs] = _run(["audit", "-p", policy, PCAPS, mixed, "-f", "jsonl", "-o", out,
                                        "-j", str(jobs)], capsys)
        outs[jobs] = sorted(_lines(out))
    assert codes[1] == codes[2] == 1 and len(outs[1]) > 10
    assert outs[1] == outs[2] and errs[1] == errs[2]


def test_unreadable_captures_are_reported_once_each(tmp_path, capsys, every_capture_sharded, mixed):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    out = str(tmp_path / "o.jsonl")
    code, err = _run(["analyze", str(bad), mixed, str(tmp_path / "missing.pcap"), "-f", "jsonl",
                      "-o", out, "-j", "2"], capsys)
    assert code == 3
    errors = [ln for ln in err.splitlines() if ln.startswith("portlens: error:")]
    assert len(errors) == 2 and str(bad) in errors[0] and "missing.pcap" in errors[1], err
    assert len(_lines(out)) == len(_records(mixed)[0])


def test_plan_shares_out_small_captures_and_splits_large_ones(tmp_path):
    small = [(str(tmp_path / f"s{i}.pcap"), None) for i in range(4)]
    for p, _ in small:
        open(p, "wb").write(b"\0" * 100)
    large = str(tmp_path / "large.pcap")
    with open(large, "wb") as fh:
        fh.truncate(200)
    groups = parallel.plan(small + [(large, None), ("x", "no file matches this pattern")], 2, shard_min=150)
    assert [g.workers for g in groups] == [[0], [1], [0], [1], [0, 1], []]
    assert not parallel.worth_it([(DEMO, None)], 2)               # one task: run in this process
    assert not parallel.worth_it([(DEMO, None), ("-", None)], 2)   # stdin cannot be shared
    assert parallel.worth_it([(DEMO, None), (DEMO, None)], 2)
    assert not parallel.worth_it([(DEMO, None), (DEMO, None)], 1)


def test_merged_statistics_count_packets_once_and_flows_per_shard():
    a = {"packets": 10, "bytes": 100, "flows": 3, "flows_tcp": 2, "evicted": 1, "shard_skipped": 4, "non_ip": 1}
    b = {"packets": 10, "bytes": 100, "flows": 4, "flows_tcp": 1, "evicted": 0, "shard_skipped": 6, "non_ip": 1}
    m = parallel.merge_stats([a, b])
    assert m == {"packets": 10, "bytes": 100, "flows": 7, "flows_tcp": 3, "evicted": 1, "non_ip": 1}


def test_default_jobs_is_the_usable_cores():
    args = cli.build_parser().parse_args(["analyze", DEMO])
    assert args.jobs is None and parallel.usable_cores() == len(os.sched_getaffinity(0))


# ------------------------------------------------------------------ stopping

def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _children(pid):
    """Processes whose parent is `pid` (from /proc)."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(name))
    return kids


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    from test_cli_safety import many_flows_pcap
    return str(many_flows_pcap(tmp_path_factory.mktemp("bigp") / "big.pcap", 200_000))


def _interrupt(tmp_path, big, signals):
    """`analyze DEMO big -j 2` (two tasks, two workers); once the output has rows of big
    in it, send `signals`. (exit code, stderr, the workers' pids, the output path).

    The signals are sent to a stopped process (SIGSTOP, the signals, SIGCONT), so they
    are delivered together when it resumes: two signals meant as "a second one while
    the first stop runs" cannot be split by this test being descheduled between the two
    kill() calls on a loaded machine. A run that ends before the signals could be sent
    (the machine starved this process the whole time) is run again, up to 3 times."""
    out = tmp_path / "r.jsonl"
    for _attempt in range(3):
        out.write_text("previous run\n")
        p = subprocess.Popen([sys.executable, "-m", "classifier", "analyze", DEMO, big, "-f", "jsonl",
                              "-o", str(out), "--force", "-j", "2", "--idle-timeout-udp", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(tmp_path))
        workers, sent = [], False
        deadline = time.monotonic() + 120            # a bound on the wait, not a timing assertion
        while time.monotonic() < deadline and p.poll() is None:
            temps = [f for f in os.listdir(tmp_path) if f.startswith(".portlens-")]
            # The forked worker (worker 0 is the parent itself), not multiprocessing's
            # resource tracker; once seen, with rows of both tasks under way.
            if not workers:
                workers = [w for w in _children(p.pid) if b"resource_tracker" not in _cmdline(w)]
            if temps and os.path.getsize(tmp_path / temps[0]) > 100_000 and workers:
                p.send_signal(signal.SIGSTOP)
                for sig in signals:
                    p.send_signal(sig)
                p.send_signal(signal.SIGCONT)
                sent = True
                break
            time.sleep(0.02)
        err = p.communicate(timeout=120)[1].decode()
        if sent:
            break
        for f in os.listdir(tmp_path):
            if f.startswith(".portlens-"):
                os.unlink(tmp_path / f)
    assert sent, err
    return p.returncode, err, workers, out


def test_ctrl_c_stops_every_worker_and_writes_a_partial_file(tmp_path, big):
    code, err, workers, out = _interrupt(tmp_path, big, [signal.SIGINT])
    assert code == 130, err
    # -j 2 with fork: the parent is worker 0, so one forked worker (classifier/parallel.py)
    assert "Traceback" not in err and len(workers) >= 1
    assert not [w for w in workers if _running(w)]
    said = [ln for ln in err.splitlines() if ln.startswith("portlens: interrupted by SIGINT: ")]
    assert len(said) == 1, err
    n = int(said[0].split(": ")[2].split()[0])
    recs = [json.loads(x) for x in _lines(out)]       # whole lines only
    assert len(recs) == n and 1 < n < 200_001
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".portlens-")]


def test_a_second_signal_stops_the_workers_at_once(tmp_path, big):
    code, err, workers, out = _interrupt(tmp_path, big, [signal.SIGINT, signal.SIGTERM])
    assert code == 143, err
    assert "stopped at once by a second SIGTERM" in err and "Traceback" not in err
    assert not [w for w in workers if _running(w)]
    assert out.read_text() == "previous run\n"
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".portlens-")]


def test_spooled_text_is_the_text_sent_through_the_queue(tmp_path, capsys, every_capture_sharded, mixed,
                                                        monkeypatch):
    """Forked workers put their jsonl text in a spool file (parallel.Spool) and the
    parent copies it to the output: into a file (sendfile) and into a pipe (read and
    written: sendfile would hand the pipe pages that the spool then punches out), the
    same bytes as the text sent in the queue's messages (PORTLENS_NO_SPOOL)."""
    argv = ["analyze", PCAPS, mixed, DEMO, "-f", "jsonl", "-j", "2"]
    monkeypatch.setenv("PORTLENS_NO_SPOOL", "1")
    code, _ = _run(argv + ["-o", str(tmp_path / "queued.jsonl")], capsys)
    assert code == 0
    monkeypatch.delenv("PORTLENS_NO_SPOOL")
    code, _ = _run(argv + ["-o", str(tmp_path / "spooled.jsonl")], capsys)
    assert code == 0
    queued = (tmp_path / "queued.jsonl").read_bytes()
    assert len(queued) > 100_000 and (tmp_path / "spooled.jsonl").read_bytes() == queued
    # to a pipe, as `portlens analyze ... | consumer` (a subprocess: stdout is a pipe)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, "-c", "import classifier.parallel as P; P.SHARD_MIN_BYTES = 0; "
                        "from classifier.cli import main; import sys; sys.argv = ['portlens'] + sys.argv[1:]; "
                        "main()"] + argv + ["-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == queued


def test_a_spool_that_cannot_be_written_falls_back_to_the_queue(tmp_path):
    """A full file system under the spool: the batch's text goes in the message."""
    import argparse
    spool = parallel.Spool()
    try:
        def full(data):
            raise OSError(28, "No space left on device")
        spool.append = full
        render = parallel._renderer(argparse.Namespace(only=None), True, spool)
        rec = {"verdict": "unidentified", "protocol": "unknown"}
        first, second = render([rec]), render([rec])
        for r in (first, second):
            assert r.spool is None and r.text == b'{"verdict":"unidentified","protocol":"unknown"}\n'
    finally:
        spool.close()


# Run in a fresh interpreter: in a test process that has other threads (the suite's
# Dask tests leave some), workers start from a fork server and the parent is no worker.
AHEAD_CHILD = r"""
import sys
from classifier import cli, parallel
parallel.SHARD_MIN_BYTES = 0
ahead = int(sys.argv[1])
started = []
get, init = parallel.Pool.get, parallel.Pool.__init__

def init_counting(self, groups, jobs, args, analyzer, *a, **k):
    init(self, groups, jobs, args, analyzer, *a, **k)
    # the same detectors and model, not the same per-capture state
    assert self.local_analyzer is not analyzer and self.local_analyzer.engine is analyzer.engine
    assert self.local_analyzer.ml is analyzer.ml
    started.append(sum(p is not None for p in self.procs))

def get_greedy(self, w, stop):
    if w != 0:
        while self.local is not None and len(self.local_ahead) < ahead:
            msg = self._local_next(ahead=True)
            if msg is not None:
                self.local_ahead.append(msg)
    return get(self, w, stop)

parallel.Pool.__init__, parallel.Pool.get = init_counting, get_greedy
code = cli.main(sys.argv[2:])
print(code, started)
"""


@pytest.mark.parametrize("ahead", [1, 10_000])
def test_the_parent_is_worker_0_and_its_share_made_ahead_keeps_the_merge_order(tmp_path, capsys,
                                                                               every_capture_sharded, mixed,
                                                                               monkeypatch, ahead):
    """With fork, the parent reads worker 0's tasks itself (one process fewer) and makes
    its messages ahead while it waits for another worker's. Made `ahead` messages ahead
    whenever it asks for worker 1's (so, with a few, already into the next capture when
    the caller ends the last one), the output is byte for byte the one of forked workers
    only (PORTLENS_NO_LOCAL_WORKER): the parent's share is labelled by an analyzer of its
    own, which the caller's end of each capture (it flushes the caller's analyzer, the
    records held back included) does not touch."""
    argv = ["analyze", PCAPS, mixed, DEMO, "-f", "jsonl", "-j", "2", "-q"]
    monkeypatch.setenv("PORTLENS_NO_LOCAL_WORKER", "1")
    code, _ = _run(argv + ["-o", str(tmp_path / "forked.jsonl")], capsys)
    assert code == 0
    monkeypatch.delenv("PORTLENS_NO_LOCAL_WORKER")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, "-c", AHEAD_CHILD, str(ahead)] + argv + ["-o", str(tmp_path / "ahead.jsonl")],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=600)
    assert p.returncode == 0 and p.stdout.split() == ["0", "[1]"], p.stdout + p.stderr
    forked = (tmp_path / "forked.jsonl").read_bytes()
    assert len(forked) > 100_000 and (tmp_path / "ahead.jsonl").read_bytes() == forked
