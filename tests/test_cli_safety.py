"""The command line's promises (issue 16): one exit code per meaning, outputs never lost
or clobbered, Ctrl-C and SIGTERM leave a valid partial result, a progress bar that is
seen on a terminal and nowhere else, a table that fits 80 columns, --only, directories
and globs as inputs."""
import csv
import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from clirun import portlens

from pcapgen import eth_wrap, ipv4, udp
from refdata import CORPUS_DIR

CORPUS = os.path.join(CORPUS_DIR, "corpus")
DEMO = os.path.join(CORPUS, "mismatch-ssh-on-443.pcap")


def run(*args, env=None, stdout=subprocess.PIPE):
    return portlens(*args, stdout=stdout, timeout=120, env=env)


def error_lines(res):
    err = res.stderr.decode()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    return [ln for ln in err.splitlines() if ln.startswith("portlens: error:")]


def one_line_error(res, *words):
    lines = error_lines(res)
    assert len(lines) == 1, res.stderr.decode()
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def no_temp_files(directory):
    return not [p for p in os.listdir(directory) if p.startswith(".portlens-")]


DNS_QUERY = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01"


def many_flows_pcap(path, n):
    """`n` one-packet UDP flows (a DNS query each), 1 ms apart: with
    --idle-timeout-udp 1 they end, and reach the output, all along the run."""
    frame = bytearray(eth_wrap([(0.0, ipv4("10.0.0.1", "10.0.0.2", udp(1024, 53, DNS_QUERY)))])[0][1])
    rec = struct.Struct("<IIII")
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        frame[26:30] = bytes((10, (i >> 16) & 255, (i >> 8) & 255, i & 255))   # client address
        frame[34:36] = struct.pack(">H", 1024 + i % 60000)                      # client port
        out += rec.pack(1_000_000 + i // 1000, (i % 1000) * 1000, len(frame), len(frame))
        out += frame
    with open(path, "wb") as fh:
        fh.write(out)
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """200,000 flows: a few seconds of `analyze`, time enough to interrupt it."""
    return str(many_flows_pcap(tmp_path_factory.mktemp("big") / "big.pcap", 200_000))


# -- exit codes: one meaning each -------------------------------------------------------

def test_exit_0_and_1():
    assert run("analyze", DEMO, "-q").returncode == 0
    res = run("ports", "no-such-service")
    assert res.returncode == 1 and "nothing registered" in one_line_error(res)


@pytest.mark.parametrize("args,words", [
    (["--max-flows", "0"], "--max-flows: must be at least 1"),
    (["--udp-datagrams", "9"], "--udp-datagrams: must be between 0 and 8"),
    (["--only", "mismatch,bogus"], "unknown verdict 'bogus'; valid: match, mismatch, unregistered-port, unidentified"),
])
def test_exit_2_bad_option_values(args, words):
    res = run("analyze", DEMO, *args)
    assert res.returncode == 2 and res.stdout == b""
    assert words in res.stderr.decode() and "Traceback" not in res.stderr.decode()


def test_exit_2_bad_site_file(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[[port]]\nport = "8080/tcp"\nprotocol = "smtpp"\n')
    res = run("analyze", DEMO, "--site-ports", str(site))
    assert res.returncode == 2 and str(site) in one_line_error(res, "smtpp")


def test_exit_3_captures(tmp_path):
    res = run("analyze", str(tmp_path / "missing.pcap"))
    assert res.returncode == 3 and res.stdout == b""
    one_line_error(res, "missing.pcap", "no such file")
    (tmp_path / "notes.txt").write_text("no capture here")
    res = run("analyze", str(tmp_path))
    assert res.returncode == 3
    one_line_error(res, str(tmp_path), "a directory with no capture in it")
    res = run("analyze", str(tmp_path / "*.pcap"))
    assert res.returncode == 3
    one_line_error(res, "*.pcap", "no file matches this pattern")


def test_exit_4_output(tmp_path):
    existing = tmp_path / "r.jsonl"
    existing.write_text("precious\n")
    res = run("analyze", DEMO, "-f", "jsonl", "-o", str(existing))
    assert res.returncode == 4 and existing.read_text() == "precious\n"
    one_line_error(res, str(existing), "refusing to overwrite it (use --force)")
    res = run("analyze", DEMO, "-o", str(tmp_path))
    assert res.returncode == 4
    one_line_error(res, str(tmp_path), "is a directory")
    res = run("analyze", DEMO, "-o", str(tmp_path / "no" / "such" / "dir.jsonl"))
    assert res.returncode == 4
    one_line_error(res, "dir.jsonl", "cannot write output: No such file or directory")
    assert no_temp_files(tmp_path)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["table", "jsonl", "html"])
def test_exit_4_disk_full(fmt):
    res = run("analyze", DEMO, "-f", fmt, "-o", "/dev/full", "-q")
    assert res.returncode == 4
    one_line_error(res, "/dev/full: cannot write output: No space left on device")
    with open("/dev/full", "wb") as full:
        res = run("analyze", DEMO, "-f", fmt, "-q", stdout=full)
    assert res.returncode == 4
    one_line_error(res, "<stdout>: cannot write output: No space left on device")
    assert len(res.stderr.decode().splitlines()) == 1        # no "Exception ignored" at exit


def test_exit_5_model(tmp_path):
    res = run("analyze", DEMO, "--model", str(tmp_path / "nowhere"), "-o", str(tmp_path / "r.jsonl"))
    assert res.returncode == 5
    one_line_error(res, "nowhere", "no model manifest")
    assert not (tmp_path / "r.jsonl").exists() and no_temp_files(tmp_path)   # checked before any output
    assert run("analyze", DEMO, "--model", str(tmp_path / "nowhere"), "--ml", "off", "-q").returncode == 0


def test_an_unknown_portlens_error_is_not_a_capture_error():
    from classifier import cli
    from classifier.errors import CaptureError, OutputError, PortlensError, UsageError
    from classifier.ml.model import ModelError
    from classifier.ports import ConfigError
    assert [cli.exit_code(e) for e in (UsageError("x"), ConfigError("x"), CaptureError("p", "x"),
                                       OutputError("p", "x"), ModelError("p", "x"))] == [2, 2, 3, 4, 5]
    assert cli.exit_code(PortlensError("jinja2 missing")) == 2


def _can_capture():
    from refdata import can_capture_on_loopback
    return can_capture_on_loopback()


@pytest.mark.skipif(not _can_capture(), reason="no capture rights on lo")
def test_live_bad_filter_is_2_and_bad_interface_is_3():
    res = run("live", "-i", "lo", "--filter", "port (((", "--duration", "1")
    assert res.returncode == 2
    one_line_error(res, "--filter 'port ((('", "not a valid capture filter")
    res = run("live", "-i", "no-such-if0", "--duration", "1")
    assert res.returncode == 3
    one_line_error(res, "no-such-if0", "cannot capture")


# -- outputs are never lost or clobbered ---------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "html", "table"])
def test_force_with_a_mistyped_capture_keeps_the_previous_file(tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    assert run("analyze", DEMO, "-f", fmt, "-o", str(out), "-q").returncode == 0
    before = out.read_bytes()
    assert before
    res = run("analyze", str(tmp_path / "mistyped.pcap"), "-f", fmt, "-o", str(out), "--force")
    assert res.returncode == 3
    one_line_error(res, "mistyped.pcap", "no such file")
    assert out.read_bytes() == before
    assert no_temp_files(tmp_path)


def test_some_captures_read_the_report_is_written_and_exit_3(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text("old\n")
    res = run("analyze", str(tmp_path / "mistyped.pcap"), DEMO, "-f", "jsonl", "-o", str(out), "--force", "-q")
    assert res.returncode == 3
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["protocol"] for r in recs] == ["ssh"] and no_temp_files(tmp_path)


def _interrupted(args, signals, cwd):
    """Run portlens with stderr on a pseudo-terminal; once the progress bar of big.pcap
    is on the screen with flows delivered (the run is in the middle of it), send
    `signals`. (exit code, the
    screen's lines)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    p = subprocess.Popen([sys.executable, "-m", "classifier", *args], stdout=subprocess.DEVNULL,
                         stderr=slave, stdin=subprocess.DEVNULL, cwd=str(cwd))
    os.close(slave)
    screen, sent = Screen(), False
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        screen.feed(chunk)
        if not sent and _bar_shown(screen.line) and not re.search(r" 0 flows", screen.line):
            for sig in signals:
                p.send_signal(sig)
            sent = True
    code = p.wait(timeout=60)
    os.close(master)
    assert sent, screen.lines
    return code, screen.lines + [screen.line]


@pytest.mark.parametrize("sig,fmt", [(signal.SIGINT, "jsonl"), (signal.SIGTERM, "csv"), (signal.SIGINT, "html")])
def test_a_signal_mid_run_writes_a_valid_partial_file(tmp_path, big, sig, fmt):
    """Once the bar shows the run reading the big capture, a signal stops it after the
    batch in hand: a complete partial file (replacing the previous one, as --force
    asked), one line saying so with the count, the summary, exit 128 + signal, no
    temporary file left."""
    out = tmp_path / f"partial.{fmt}"
    out.write_text("previous run\n")
    code, lines = _interrupted(["analyze", DEMO, big, "-f", fmt, "-o", str(out), "--force",
                                "--idle-timeout-udp", "1"], [sig], tmp_path)
    assert code == 128 + sig, lines
    assert not any("Traceback" in ln for ln in lines)
    name = signal.Signals(sig).name
    said = [ln for ln in lines if ln.startswith(f"portlens: interrupted by {name}: ")]
    assert len(said) == 1, lines
    n = int(re.search(r": (\d+) flows written to ", said[0]).group(1))
    assert f"written to {out}, a partial result" in said[0]
    assert any(re.match(rf"portlens: {re.escape(big)}: \d+ packets", ln) for ln in lines)   # its summary
    text = out.read_text()
    if fmt == "jsonl":
        recs = [json.loads(line) for line in text.splitlines()]            # whole lines only
        assert len(recs) == n and recs[0]["protocol"] == "ssh"
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == n + 1 and len({len(r) for r in rows}) == 1
    else:
        assert text.rstrip().endswith("</html>") and text.lstrip().lower().startswith("<!doctype html")
    assert 1 < n < 200_001                               # the demo's flow and some of big's; not all
    assert no_temp_files(tmp_path)


def test_a_second_signal_stops_at_once_and_keeps_the_previous_file(tmp_path, big):
    out = tmp_path / "r.jsonl"
    out.write_text("previous run\n")
    # A distinct second signal, so the two cannot merge into one pending SIGINT.
    code, lines = _interrupted(["analyze", DEMO, big, "-f", "jsonl", "-o", str(out), "--force",
                                "--idle-timeout-udp", "1"], [signal.SIGINT, signal.SIGTERM], tmp_path)
    assert code == 128 + signal.SIGTERM, lines
    assert f"portlens: stopped at once by a second SIGTERM; {out} was not written" in lines
    assert out.read_text() == "previous run\n" and no_temp_files(tmp_path)


def test_signal_handlers_are_restored_after_an_in_process_run(capsys):
    from classifier import cli
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert cli.main(["analyze", DEMO, "-q", "-f", "jsonl"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# -- the progress bar ------------------------------------------------------------------------

_SCREEN_TOKEN = re.compile(r"\r|\n|\x1b\[K|\x1b\[[0-9;?]*[A-Za-z]|\x1b|[^\r\n\x1b]+")


class Screen:
    """Just enough of a terminal: printable text, CR, LF, ESC[K and SGR; `line` is the
    line the cursor is on, `lines` those scrolled past."""

    def __init__(self):
        import codecs
        self.lines = []
        self.cur = []
        self.col = 0
        self.raw = b""
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._pending = ""

    def feed(self, data: bytes):
        # A read may end inside a UTF-8 character or an escape sequence: keep the rest.
        text = self._pending + self._decode(data)
        esc = text.rfind("\x1b")
        if esc >= 0 and not re.match(r"\x1b\[[0-9;?]*[A-Za-z]", text[esc:]):
            text, self._pending = text[:esc], text[esc:]
        else:
            self._pending = ""
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        # Runs of printable text are written as slices; CR, LF, ESC[K and other
        # control sequences one at a time.
        for m in _SCREEN_TOKEN.finditer(text):
            tok = m.group(0)
            if tok == "\r":
                self.col = 0
            elif tok == "\n":
                self.lines.append("".join(self.cur).rstrip())
                self.cur, self.col = [], 0
            elif tok == "\x1b[K":
                del self.cur[self.col:]
            elif tok[0] == "\x1b":                 # another control sequence: skip it
                pass
            else:
                if self.col > len(self.cur):
                    self.cur.extend(" " * (self.col - len(self.cur)))
                self.cur[self.col:self.col + len(tok)] = tok
                self.col += len(tok)

    @property
    def line(self):
        return "".join(self.cur).rstrip()


def _on_a_pty(args, stdout_too=False, cols=100, env=None):
    """Run portlens with stderr (and with `stdout_too` stdout) on a pseudo-terminal of
    `cols` columns, sampling the screen every 20 ms. (samples of the cursor's line,
    the screen, stdout bytes when not on the terminal, exit code)."""
    import tempfile
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    sink = tempfile.TemporaryFile()
    if env is None:
        # An explicit environment: some test runners leave COLUMNS in the process's own
        # (C-level) environment, which children would inherit.
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    p = subprocess.Popen([sys.executable, "-m", "classifier", *args], stdout=slave if stdout_too else sink,
                         stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    screen, samples = Screen(), []
    done = False
    while not done:
        # One sample every 20 ms of what the screen shows then, whatever came before it.
        tick = time.monotonic() + 0.02
        while not done:
            r, _, _ = select.select([master], [], [], max(0.0, tick - time.monotonic()))
            if not r:
                break
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:                     # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                done = True
            screen.feed(chunk)
            screen.raw += chunk
        samples.append(screen.line)
    code = p.wait(timeout=60)
    os.close(master)
    sink.seek(0)
    return samples, screen, sink.read(), code


def _bar_shown(line):
    return bool(re.search(r"big\.pcap +\d+%\|.*\| [\d.]+ \w?i?B/[\d.]+ MiB +[\d.]+k?M? packets/s +\d+ flows", line))


def test_progress_bar_is_seen_on_a_terminal(tmp_path, big):
    samples, screen, out, code = _on_a_pty(["analyze", big, "-f", "jsonl", "--idle-timeout-udp", "1"])
    assert code == 0 and len(out.splitlines()) == 200_000
    # From its first drawing to the summary line, the bar is what the screen shows:
    # it is not erased before each batch.
    drawn = [i for i, s in enumerate(samples) if _bar_shown(s)]
    assert drawn, samples
    first = drawn[0]
    last = next(i for i, s in enumerate(samples) if s.startswith("portlens:") or i > first and not s and
                all(not t for t in samples[i:]))
    running = samples[first:last]
    assert len(running) >= 5, samples
    shown = sum(map(_bar_shown, running))
    assert shown >= 0.8 * len(running), (shown, len(running), running[:5])
    assert any(re.search(r" [1-9]\d*%\|", s) for s in running)              # it moves
    assert screen.lines[-1].startswith(f"portlens: {big}: 200000 packets")   # then the summary
    assert not _bar_shown(screen.line)                                       # ... in its place


def test_table_rows_and_the_bar_share_a_terminal_without_garbling(tmp_path):
    small = str(many_flows_pcap(tmp_path / "big.pcap", 20_000))
    samples, screen, _, code = _on_a_pty(["analyze", small, "--idle-timeout-udp", "1", "--color", "never"],
                                         stdout_too=True, cols=100)
    assert code == 0
    # The bar is drawn again after rows were printed (flows > 0), not only at the start.
    assert re.search(rb"big\.pcap +\d+%\|.*packets/s +[1-9]\d* flows", screen.raw)
    rows = screen.lines[1:-1]
    assert screen.lines[0].split()[:3] == ["CLIENT", "SERVER", "PORT"], screen.lines[:3]
    assert len(rows) == 20_000
    assert all(re.fullmatch(r"10\.\d+\.\d+\.\d+ +10\.0\.0\.2 +53/udp +dns +dns +match +-", r) for r in rows), \
        [r for r in rows if not re.fullmatch(r"10\.\d+\.\d+\.\d+ +10\.0\.0\.2 +53/udp +dns +dns +match +-", r)][:3]


def test_no_progress_bar_on_a_pipe_or_with_quiet(tmp_path):
    small = str(many_flows_pcap(tmp_path / "big.pcap", 20_000))
    res = run("analyze", small, "-f", "jsonl")
    assert res.returncode == 0
    assert res.stderr.decode().splitlines() == [ln for ln in res.stderr.decode().splitlines()
                                               if ln.startswith("portlens: ")]
    assert b"packets/s" not in res.stderr and b"\r" not in res.stderr
    samples, screen, out, code = _on_a_pty(["analyze", small, "-f", "jsonl", "-q"])
    assert code == 0 and len(out.splitlines()) == 20_000
    assert screen.lines == [] and not any(samples)


# -- the table ----------------------------------------------------------------------------

def test_table_fits_80_columns_on_a_pipe_and_on_a_terminal():
    env = dict(os.environ, COLUMNS="80")
    res = run("analyze", CORPUS, "-q", env=env)
    assert res.returncode == 0
    lines = res.stdout.decode().splitlines()
    assert len(lines) > 300 and max(map(len, lines)) <= 80
    assert lines[0].split()[:2] == ["CAPTURE", "SERVER"]         # several captures: a capture column
    assert "not shown at 80 columns: CLIENT, SNI/HOST (--wide shows every column)" in lines
    env.pop("COLUMNS")
    _, screen, _, code = _on_a_pty(["analyze", CORPUS, "-q"], stdout_too=True, cols=80, env=env)
    assert code == 0 and len(screen.lines) == len(lines)
    assert max(len(ln) for ln in screen.lines) <= 80


def test_table_width_on_a_pipe_is_deterministic():
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    res = run("analyze", DEMO, "-q", env=env)
    header = res.stdout.decode().splitlines()[0]
    assert header.split() == ["CLIENT", "SERVER", "PORT", "PROTOCOL", "PORT", "SAYS", "VERDICT", "SNI/HOST"]


def _rec(**kw):
    rec = dict(capture="a.pcap", transport="tcp", client="10.0.0.1", client_port=40000, server="10.0.0.2",
               server_port=443, tunnel=None, packets_c2s=3, packets_s2c=4, bytes_c2s=100, bytes_s2c=2000,
               ts_start=1.0, ts_end=2.5, protocol="tls", source="dpi", port_protocol="tls", verdict="match",
               metadata={})
    rec.update(kw)
    return rec


def test_table_never_cuts_an_ipv6_address_and_marks_model_labels():
    from classifier.output.table import TableWriter
    v6 = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"
    for width in (80, 120, 200):
        s = io.StringIO()
        t = TableWriter(s, width=width)
        t.write(_rec(server=v6, client="2001:db8::1", server_port=65535, protocol="ssh", source="ml",
                     verdict="mismatch"))
        t.close()
        lines = s.getvalue().splitlines()
        assert v6 in lines[1] and "65535/tcp" in lines[1] and "ssh?" in lines[1]
        assert any(ln.startswith("? after a protocol: the model's label alone") for ln in lines)
    s = io.StringIO()
    t = TableWriter(s, width=120)
    t.write(_rec())
    t.close()
    assert "?" not in s.getvalue()                      # no model label, no legend


def test_table_sni_host_column_and_escaped_capture_text():
    from classifier.output.table import TableWriter
    s = io.StringIO()
    t = TableWriter(s, width=120)
    t.write(_rec(metadata={"sni": "www.example.com"}))
    t.write(_rec(protocol="http", metadata={"host": "evil\x1b[2J.example"}))
    t.close()
    lines = s.getvalue().splitlines()
    assert lines[0].split()[-1] == "SNI/HOST"
    assert lines[1].endswith("www.example.com")
    assert "\x1b" not in s.getvalue() and lines[2].endswith("evil\\x1b[2J.example")


def test_wide_shows_every_column_untruncated():
    from classifier.output.table import TableWriter
    s = io.StringIO()
    name = "a-very-long-server-name-from-the-capture.example.com"
    t = TableWriter(s, width=80, wide=True, captures=["dir/one.pcap", "dir/two-with-a-long-name.pcap"])
    t.write(_rec(capture="dir/two-with-a-long-name.pcap", metadata={"sni": name}))
    t.close()
    head, row = s.getvalue().splitlines()
    assert head.split()[:3] == ["CAPTURE", "CLIENT", "SERVER"] and "SOURCE" in head and "BYTES" in head
    assert row.startswith("dir/two-with-a-long-name.pcap") and "10.0.0.1:40000" in row and row.endswith(name)


# -- filters and inputs -------------------------------------------------------------------

def test_only_filters_by_verdict_and_counts_everything():
    demos = [os.path.join(CORPUS, f) for f in ("mismatch-ssh-on-443.pcap", "tls-1.pcap", "amqp-10.pcap")]
    every = [json.loads(x) for x in run("analyze", *demos, "-f", "jsonl", "-q").stdout.decode().splitlines()]
    assert {r["verdict"] for r in every} >= {"mismatch", "match"}
    res = run("analyze", *demos, "-f", "jsonl", "--only", "mismatch")
    some = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert some == [r for r in every if r["verdict"] == "mismatch"]
    assert res.stderr.decode().count("verdicts: ") == 3                     # the summary counts every flow
    both = run("analyze", *demos, "-f", "jsonl", "-q", "--only", "match", "--only", "mismatch,unidentified")
    assert len(both.stdout.decode().splitlines()) == len([r for r in every if r["verdict"] != "unregistered-port"])


def test_audit_only(tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text('[[allow]]\nname = "web"\nport = "443/tcp"\nprotocols = ["tls"]\n')
    res = run("audit", "--policy", str(policy), DEMO, "-f", "jsonl", "-q")
    assert res.returncode == 1 and len(res.stdout.splitlines()) == 1
    res = run("audit", "--policy", str(policy), DEMO, "-f", "jsonl", "-q", "--only", "match")
    assert res.returncode == 0 and res.stdout == b""
    assert run("audit", "--policy", str(policy), DEMO, "--only", "nope").returncode == 2


def test_directories_are_read_recursively_and_globs_expanded(tmp_path):
    import gzip
    import shutil
    d = tmp_path / "caps"
    (d / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(DEMO, d / "a.pcap")
    shutil.copy(os.path.join(CORPUS, "tls-1.pcap"), d / "sub" / "b.cap")
    (d / "sub" / "deeper" / "c.pcap.gz").write_bytes(gzip.compress(open(DEMO, "rb").read()))
    (d / "sub" / "notes.txt").write_text("not a capture")
    (d / "sub" / "d.PCAPNG").write_bytes(b"")            # picked up by name (and reported empty)
    res = run("analyze", str(d), "-f", "jsonl")
    assert res.returncode == 3                           # the empty one
    one_line_error(res, "d.PCAPNG", "empty file")
    got = [json.loads(x)["capture"] for x in res.stdout.decode().splitlines()]
    assert sorted(set(got)) == sorted([str(d / "a.pcap"), str(d / "sub" / "b.cap"),
                                       str(d / "sub" / "deeper" / "c.pcap.gz")])
    assert "notes.txt" not in res.stderr.decode()
    # A quoted glob, expanded by portlens; the table gets a capture column.
    res = run("analyze", str(d / "sub" / "*.cap"), str(d / "*.pcap"), "-q")
    assert res.returncode == 0
    lines = res.stdout.decode().splitlines()
    assert lines[0].split()[0] == "CAPTURE"
    rows = [ln for ln in lines[1:] if not ln.startswith(("? ", "not shown at"))]
    assert [ln.split()[0] for ln in rows] == ["b.cap"] * (len(rows) - 1) + ["a.pcap"]   # in the order given


def test_a_write_error_at_the_end_keeps_the_previous_file(tmp_path, monkeypatch):
    """A disk that fills while the temporary file is finished (the last flush or the
    fsync): one OutputError naming the destination, the temporary file removed, the
    previous file untouched."""
    import errno
    from classifier.errors import OutputError
    from classifier.output import open_output
    target = tmp_path / "r.jsonl"
    target.write_text("previous\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as ei:
        with open_output(str(target), force=True) as out:
            out.stream.write("new\n")
    assert str(ei.value) == f"{target}: cannot write output: No space left on device"
    assert target.read_text() == "previous\n" and no_temp_files(tmp_path)
    monkeypatch.undo()
    with open_output(str(target), force=True) as out:
        out.stream.write("new\n")
    assert target.read_text() == "new\n" and no_temp_files(tmp_path)
