"""The portlens command: formats, the record contract, the summary, output files."""
import json
import os
import re
import subprocess
import sys

import pytest

from classifier.schema import FIELDS
from clirun import portlens
from pcapgen import eth_wrap, ipv4, tcp_conversation, udp, write_pcap


def run(*args, stdin=None):
    return portlens(*args, input=stdin, timeout=60)


@pytest.fixture
def capture(tmp_path):
    p = tmp_path / "two.pcap"
    l3 = tcp_conversation(cport=40000, sport=8080, t0=10.0) + [(20.0, ipv4("10.0.0.3", "10.0.0.4", udp(5000, 53, b"q")))]
    write_pcap(p, eth_wrap(l3))
    return p


@pytest.mark.parametrize("command", ["flows", "analyze"])
def test_jsonl_records_follow_the_contract(capture, command):
    res = run(command, str(capture), "--format", "jsonl")
    assert res.returncode == 0, res.stderr
    recs = [json.loads(line) for line in res.stdout.decode().splitlines()]
    assert len(recs) == 2
    for r in recs:
        assert list(r)[: len(FIELDS)] == list(FIELDS)
    tcp = next(r for r in recs if r["transport"] == "tcp")
    assert (tcp["client"], tcp["client_port"], tcp["server"], tcp["server_port"]) == ("10.0.0.1", 40000, "10.0.0.2", 8080)
    assert (tcp["packets_c2s"], tcp["packets_s2c"], tcp["vlan"], tcp["tunnel"]) == (5, 3, None, None)
    assert tcp["ts_start"] == 10.0 and tcp["capture"] == str(capture)
    assert tcp["source"] in ("dpi", "ml", "dpi+ml", "none")
    assert tcp["payload"] == {"c2s": 18, "s2c": 19}
    summary = res.stderr.decode().strip().splitlines()
    assert len(summary) == 1
    assert "9 packets" in summary[0] and "2 flows (1 tcp, 1 udp, 0 other)" in summary[0]
    assert "evictions 0" in summary[0] and "unsupported link types: none" in summary[0]


def test_table_is_the_default(capture):
    res = run("flows", str(capture))
    lines = res.stdout.decode().splitlines()
    assert lines[0].split()[:3] == ["CLIENT", "SERVER", "PORT"]
    assert any(ln.split()[:3] == ["10.0.0.1", "10.0.0.2", "8080/tcp"] for ln in lines[1:])
    wide = run("flows", str(capture), "--wide").stdout.decode().splitlines()
    assert any("10.0.0.1:40000" in ln and "10.0.0.2" in ln for ln in wide[1:])


def test_quiet_drops_the_summary(capture):
    res = run("flows", str(capture), "-q")
    assert res.returncode == 0 and res.stderr == b""


def test_output_file_is_never_overwritten_without_force(capture, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    res = run("flows", str(capture), "-f", "jsonl", "-o", str(out))
    assert res.returncode == 4 and out.read_text() == "precious\n"       # 4: output cannot be written
    assert "refusing to overwrite" in res.stderr.decode()
    res = run("flows", str(capture), "-f", "jsonl", "-o", str(out), "--force")
    assert res.returncode == 0 and len(out.read_text().splitlines()) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".portlens-")]


def test_flow_options_reach_the_engine(capture):
    res = run("flows", str(capture), "-f", "jsonl", "--payload-bytes", "4", "-q")
    tcp = next(json.loads(x) for x in res.stdout.decode().splitlines() if '"tcp"' in x)
    assert tcp["payload"]["c2s"] == 4 and "truncated" in tcp["payload"]["notes"]


def test_usage_errors_exit_2(capture):
    assert run("flows").returncode == 2
    assert run("flows", str(capture), "--format", "xml").returncode == 2
    assert run("flows", str(capture), "--idle-timeout-tcp", "-5").returncode == 2
    assert run().returncode == 2


def test_closed_stdout_is_not_an_error(capture, tmp_path):
    big = tmp_path / "big.pcap"
    write_pcap(big, eth_wrap([(1.0 + i, ipv4("10.0.0.1", "10.0.0.2", udp(1000 + i, 53, b"x"))) for i in range(3000)]))
    p = subprocess.Popen([sys.executable, "-m", "classifier", "flows", str(big), "-q"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0 and "Traceback" not in err


def test_analyze_labels_the_mismatch_demos_from_payload():
    # Each demo puts a protocol on another's well-known port; the label must follow the
    # payload (the manifest's truth), and `flows` must leave labelling alone.
    import os
    from refdata import CORPUS_DIR
    manifest = os.path.join(CORPUS_DIR, "corpus", "manifest.jsonl")
    truth = {}
    for line in open(manifest):
        m = json.loads(line)
        if m["port_mode"] == "mismatch-demo":
            truth[(os.path.join(CORPUS_DIR, "corpus", m["capture"]), m["client_port"])] = m["protocol"]
    assert len(truth) >= 6
    for path in sorted({p for p, _ in truth}):
        res = run("analyze", path, "-f", "jsonl", "-q")
        assert res.returncode == 0, res.stderr
        for rec in map(json.loads, res.stdout.decode().splitlines()):
            assert rec["protocol"] == truth[(path, rec["client_port"])], (path, rec)
            assert rec["source"] == "dpi" and rec["confidence"] > 0
        plain = [json.loads(x) for x in run("flows", path, "-f", "jsonl", "-q").stdout.decode().splitlines()]
        assert all(r["protocol"] == "unknown" and r["source"] == "none" for r in plain)


# -- verdicts, ports, progress (issue 6) ------------------------------------------------

def test_analyze_summary_counts_verdicts(capture):
    res = run("analyze", str(capture), "-f", "jsonl")
    assert res.returncode == 0, res.stderr
    summary = res.stderr.decode().strip().splitlines()
    assert len(summary) == 1 and "; verdicts: " in summary[0]
    recs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert all(r["verdict"] in ("match", "mismatch", "unregistered-port", "unidentified") for r in recs)
    flows = [json.loads(x) for x in run("flows", str(capture), "-f", "jsonl").stdout.decode().splitlines()]
    assert all(r["verdict"] is None for r in flows)     # `flows` does not judge


def test_analyze_site_ports_option(tmp_path):
    import os
    from refdata import CORPUS_DIR
    demo = os.path.join(CORPUS_DIR, "corpus", "mismatch-smtp-on-8080.pcap")
    site = tmp_path / "site.toml"
    site.write_text('[[port]]\nport = "8080/tcp"\nprotocol = "smtp"\nservice = "relay"\n')
    rec = json.loads(run("analyze", demo, "-f", "jsonl", "-q", "--site-ports", str(site)).stdout)
    assert (rec["verdict"], rec["port_service"]) == ("match", "relay")
    site.write_text('[[port]]\nport = "8080/tcp"\nprotocol = "smtpp"\n')
    res = run("analyze", demo, "-q", "--site-ports", str(site))
    assert res.returncode == 2 and b"unknown protocol 'smtpp'" in res.stderr and res.stdout == b""


def test_ports_by_port_and_by_name():
    res = run("ports", "443/tcp")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    assert lines[0].split() == ["PORT", "CLASS", "SERVICE", "IMPLIES", "DESCRIPTION"]
    assert lines[1].split()[:4] == ["443/tcp", "system", "https", "tls"]
    assert "2024-04-30" in lines[-1]
    both = [ln.split()[:4] for ln in run("ports", "443").stdout.decode().splitlines()[1:-1]]
    assert ["443/tcp", "system", "https", "tls"] in both and ["443/udp", "system", "https", "quic"] in both
    named = run("ports", "smallchat").stdout.decode().splitlines()
    assert [ln.split()[:4] for ln in named[1:-1]] == [["4412/udp", "user", "smallchat", "smallchat"]]
    dyn = run("ports", "49152/udp").stdout.decode().splitlines()[1]
    assert dyn.split()[:3] == ["49152/udp", "dynamic", "-"] and "(dynamic)" in dyn
    recs = [json.loads(x) for x in run("ports", "3478/udp", "-f", "jsonl").stdout.decode().splitlines()]
    assert {r["service"] for r in recs} == {"stun", "turn", "stun-behavior"}
    assert all(r["protocols"] == ["stun"] and r["port_class"] == "user" for r in recs)


def test_ports_exit_codes():
    res = run("ports", "no-such-service", "443/tcp")
    assert res.returncode == 1 and b"nothing registered as 'no-such-service'" in res.stderr
    assert b"443/tcp" in res.stdout
    res = run("ports", "70000/tcp")
    assert res.returncode == 2 and b"out of range" in res.stderr
    assert run("ports").returncode == 2


def _on_a_terminal(*args):
    """Run portlens with stderr on a pseudo-terminal; (stdout bytes, terminal bytes)."""
    import os
    import pty
    import select
    import tempfile
    master, slave = pty.openpty()
    sink = tempfile.TemporaryFile()         # not a pipe: a full pipe would stall the child
    p = subprocess.Popen([sys.executable, "-m", "classifier", *args], stdout=sink,
                         stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    term = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:             # EIO: the child closed the terminal
            break
        if not chunk:
            break
        term += chunk
    p.wait(timeout=60)
    os.close(master)
    sink.seek(0)
    return sink.read(), term


def test_progress_line_on_a_terminal_and_quiet(tmp_path):
    big = tmp_path / "many.pcap"
    # 20000 packets in 100 flows (each client port recurs within the UDP idle timeout).
    write_pcap(big, eth_wrap([(1.0 + i / 20, ipv4("10.0.0.1", "10.0.0.2", udp(1000 + i % 100, 53, b"x")))
                              for i in range(20000)]))
    out, term = _on_a_terminal("analyze", str(big), "-f", "jsonl")
    assert len(out.splitlines()) == 100
    assert b"many.pcap" in term and b"flows" in term and b"%|" in term     # the bar was drawn
    assert b"packets/s" in term
    # ...and erased for the summary (tqdm blanks the line); more in test_cli_safety.py
    assert re.search(rb"\r {20,}\rportlens: ", term)
    assert b"portlens: " + str(big).encode() in term                        # then the summary
    out, term = _on_a_terminal("analyze", str(big), "-f", "jsonl", "-q")
    assert len(out.splitlines()) == 100 and term == b""


def test_an_internal_error_is_one_line_and_exit_70(monkeypatch, capsys):
    """A bug of ours (not bad input) still gives one line, not a traceback; PORTLENS_DEBUG
    brings the traceback back for whoever fixes it."""
    from classifier import cli, pipeline

    def broken(self, batch):
        raise RuntimeError("boom")
    monkeypatch.setattr(pipeline.Analyzer, "label", broken)
    monkeypatch.delenv("PORTLENS_DEBUG", raising=False)
    demo = os.path.join(os.path.dirname(__file__), os.pardir, "pcaps", "corpus", "mismatch-ssh-on-443.pcap")
    assert cli.main(["analyze", demo, "-q"]) == 70
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "portlens: error: internal error: RuntimeError: boom (a bug; PORTLENS_DEBUG=1 shows the traceback)"]
    monkeypatch.setenv("PORTLENS_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["analyze", demo, "-q"])


def test_csv_prints_no_header_when_no_capture_could_be_read(tmp_path):
    """Nothing was read, so nothing is written to stdout (the header used to be), and
    a capture without flows still gives the header alone."""
    r = run("analyze", str(tmp_path / "absent.pcap"), "-f", "csv")
    assert r.returncode == 3 and r.stdout == b"" and b"no such file" in r.stderr
    empty = tmp_path / "empty.pcap"
    write_pcap(empty, [])
    r = run("analyze", str(empty), "-f", "csv")
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0 and len(lines) == 1 and lines[0].startswith("capture,ts_start,")


def test_keep_freed_memory_leaves_a_tuned_allocator_alone(monkeypatch):
    """The program's glibc allocator settings (cli._keep_freed_memory) are skipped when
    the user tunes the allocator, and applied through mallopt otherwise."""
    import ctypes
    from classifier import cli
    calls = []

    class Libc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    cli._keep_freed_memory()
    assert calls == []
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    for k in [k for k in os.environ if k.startswith("MALLOC_") or k == "GLIBC_TUNABLES"]:
        monkeypatch.delenv(k)
    cli._keep_freed_memory()
    assert calls == [(-3, 32 << 20), (-1, 64 << 20)]
