"""Output formats: jsonl, csv and eve carry the same flows; unknown keys come through;
the table colours only when asked; no format overwrites a file without --force."""
import csv
import io
import json
import os

import pytest

from clirun import portlens

from classifier.output import WRITERS
from classifier.output.csvfile import COLUMNS, CsvWriter
from classifier.output.eve import EveWriter, community_id, eve_event, eve_time, flow_id
from classifier.output.table import TableWriter
from classifier.schema import FIELDS
from refdata import CORPUS_DIR

DEMO = os.path.join(CORPUS_DIR, "corpus", "mismatch-http-on-53tcp.pcap")
SOME = [os.path.join(CORPUS_DIR, "corpus", f) for f in
        ("mismatch-http-on-53tcp.pcap", "mismatch-dns-on-80udp.pcap", "tls-1.pcap", "ftp-4.pcap", "ntp-1.pcap")]


def run(*args, env=None):
    return portlens(*args, timeout=120, env=env)


@pytest.fixture(scope="module")
def records():
    res = run("analyze", *SOME, "-f", "jsonl", "-q")
    assert res.returncode == 0, res.stderr
    return [json.loads(x) for x in res.stdout.decode().splitlines()]


def test_jsonl_has_contract_then_added_fields(records):
    for r in records:
        assert list(r)[: len(FIELDS)] == list(FIELDS)
        for k in ("port_service", "port_class", "verdict_reason"):
            assert k in r
    demo = next(r for r in records if r["server_port"] == 53)
    assert (demo["verdict"], demo["verdict_reason"]) == ("mismatch", "53/tcp implies dns; payload is http")


def test_csv_round_trip(records):
    res = run("analyze", *SOME, "-f", "csv", "-q")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout.decode())))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == len(records)
    for row, rec in zip(rows, records):
        for k in FIELDS:
            want = rec[k]
            if k == "metadata":
                assert json.loads(row[k]) == want
            elif want is None:
                assert row[k] == ""
            elif isinstance(want, float):
                assert float(row[k]) == want
            else:
                assert row[k] == str(want), k
        assert row["verdict_reason"] == rec["verdict_reason"]
        assert row["payload_c2s"] == str(rec["payload"]["c2s"])
        if rec["tcp_flags"]:
            assert row["tcp_flags_c2s"] == rec["tcp_flags"]["c2s"]
        assert row["extra"] == ""


def test_eve_round_trip(records):
    res = run("analyze", *SOME, "-f", "eve", "-q")
    assert res.returncode == 0, res.stderr
    events = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert len(events) == len(records)
    ids = set()
    for ev, rec in zip(events, records):
        assert ev["event_type"] == "flow"
        assert list(ev)[:3] == ["timestamp", "flow_id", "event_type"]
        assert (ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"]) == \
               (rec["client"], rec["client_port"], rec["server"], rec["server_port"])
        assert ev["proto"] == rec["transport"].upper()
        f = ev["flow"]
        assert (f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"]) == \
               (rec["packets_c2s"], rec["packets_s2c"], rec["bytes_c2s"], rec["bytes_s2c"])
        assert f["state"] in ("new", "established", "closed") and f["reason"] in ("timeout", "forced", "shutdown")
        assert f["start"] == eve_time(rec["ts_start"]) and f["end"] == eve_time(rec["ts_end"])
        assert ev["timestamp"] == f["end"]
        assert 0 <= ev["flow_id"] < 2 ** 53
        ids.add(ev["flow_id"])
        ours = ev["portlens"]
        for k in ("protocol", "verdict", "verdict_reason", "port_protocol", "metadata", "capture"):
            assert ours[k] == rec[k]
        assert ev["community_id"].startswith("1:")
        if rec["protocol"] != "unknown":
            assert ev["app_proto"] in (rec["protocol"], "krb5", "rfb", "pgsql", "jabber")
    assert len(ids) == len(events)


def test_eve_timestamp_format():
    assert eve_time(1795222419.445186) == "2026-11-21T00:53:39.445186+0000"


def test_eve_flow_id_is_stable():
    rec = {"capture": "a.pcap", "transport": "tcp", "client": "10.0.0.1", "client_port": 1, "server": "10.0.0.2",
           "server_port": 2, "vlan": None, "ts_start": 5.0}
    assert flow_id(rec) == flow_id(dict(rec)) and flow_id(rec) != flow_id({**rec, "ts_start": 6.0})


def test_community_id_matches_the_spec_vector():
    # The reference vector of the Community ID spec (pycommunityid's tests).
    assert community_id("tcp", "128.232.110.120", "66.35.250.204", 34855, 80) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    # Direction does not matter.
    assert community_id("tcp", "66.35.250.204", "128.232.110.120", 80, 34855) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    assert community_id("icmp", "10.0.0.1", "10.0.0.2", 0, 0) is None


def _rec(**kw):
    base = {"capture": "x.pcap", "ts_start": 1.5, "ts_end": 2.5, "transport": "tcp", "client": "10.0.0.1",
            "client_port": 40000, "server": "10.0.0.2", "server_port": 443, "vlan": 7, "tunnel": None,
            "packets_c2s": 3, "packets_s2c": 0, "bytes_c2s": 180, "bytes_s2c": 0, "protocol": "unknown",
            "source": "none", "confidence": None, "port_protocol": "tls", "verdict": "unidentified",
            "metadata": {}, "end_reason": "idle-timeout", "tcp_flags": {"c2s": "S", "s2c": ""},
            "payload": {"c2s": 0, "s2c": 0}, "port_service": "https", "port_class": "system",
            "verdict_reason": "443/tcp implies tls; payload not identified"}
    base.update(kw)
    return base


def test_eve_edge_cases():
    ev = eve_event(_rec())
    assert "app_proto" not in ev                      # no payload at all: Suricata logs none
    assert ev["vlan"] == [7] and ev["flow"]["state"] == "new" and ev["flow"]["reason"] == "timeout"
    assert ev["tcp"] == {"tcp_flags": "02", "tcp_flags_ts": "02", "tcp_flags_tc": "00", "syn": True}
    assert eve_event(_rec(payload={"c2s": 10, "s2c": 0}))["app_proto"] == "failed"
    assert eve_event(_rec(protocol="vnc"))["app_proto"] == "rfb"
    icmp = eve_event(_rec(transport="icmp", tcp_flags=None))
    assert "src_port" not in icmp and "dest_port" not in icmp and icmp["proto"] == "ICMP"
    assert "community_id" not in icmp and "tcp" not in icmp
    assert eve_event(_rec(transport="ip-250", tcp_flags=None))["proto"] == "250"


def test_unknown_keys_are_carried_through():
    rec = _rec(protocol="tls", ml={"protocol": "tls", "probability": 0.97}, future={"a": 1})
    out = io.StringIO()
    w = WRITERS["jsonl"](out)
    w.write(rec)
    assert json.loads(out.getvalue())["ml"] == {"protocol": "tls", "probability": 0.97}
    out = io.StringIO()
    w = CsvWriter(out)
    w.write(rec)
    row = list(csv.DictReader(io.StringIO(out.getvalue())))[0]
    assert (row["ml_protocol"], row["ml_probability"]) == ("tls", "0.97")
    assert json.loads(row["extra"]) == {"future": {"a": 1}}
    out = io.StringIO()
    EveWriter(out).write(rec)
    ev = json.loads(out.getvalue())
    assert ev["portlens"]["ml"] == {"protocol": "tls", "probability": 0.97} and ev["portlens"]["future"] == {"a": 1}
    out = io.StringIO()
    w = WRITERS["html"](out)
    w.write(rec)
    w.close()
    assert "<table" in out.getvalue()


def test_table_colour_only_when_asked():
    rec = _rec(protocol="ssh", verdict="mismatch", verdict_reason="443/tcp implies tls; payload is ssh")
    plain, colour = io.StringIO(), io.StringIO()
    TableWriter(plain).write(rec)
    TableWriter(colour, color=True).write(rec)
    assert "\033[" not in plain.getvalue()
    assert "\033[1;31mmismatch\033[0m" in colour.getvalue()
    # Colour codes do not shift the columns: stripped of them, both lines are the same.
    import re
    assert re.sub(r"\033\[[0-9;]*m", "", colour.getvalue()) == plain.getvalue()


def test_cli_colour_switches():
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    assert b"\033[" not in run("analyze", DEMO, "-q", env=env).stdout          # a pipe: no colour
    assert b"\033[1;31m" in run("analyze", DEMO, "-q", "--color", "always", env=env).stdout
    env["NO_COLOR"] = "1"
    assert b"\033[" not in run("analyze", DEMO, "-q", env=env).stdout


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "eve", "html", "table", "zeek"])
def test_no_format_overwrites_without_force(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    out.write_text("precious\n")
    res = run("analyze", DEMO, "-f", fmt, "-o", str(out), "-q")
    assert res.returncode == 4 and out.read_text() == "precious\n"     # 4: the output cannot be written
    assert "refusing to overwrite" in res.stderr.decode()
    res = run("analyze", DEMO, "-f", fmt, "-o", str(out), "-q", "--force")
    assert res.returncode == 0 and out.read_text() != "precious\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".portlens-")]


def test_output_file_mode_follows_umask(tmp_path):
    out = tmp_path / "r.jsonl"
    assert run("analyze", DEMO, "-f", "jsonl", "-o", str(out), "-q").returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask


def test_output_to_a_device_or_fifo_is_written_through_never_replaced(tmp_path):
    """`-o /dev/null` (or a FIFO to a collector) must be written to, not replaced by a
    renamed file: as root, the temp-and-rename path would turn /dev/null into a file."""
    import os
    import stat as st_mod
    import threading
    fifo = tmp_path / "collector.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    demo = os.path.join(os.path.dirname(__file__), os.pardir, "pcaps", "corpus", "mismatch-ssh-on-443.pcap")
    res = portlens("analyze", demo, "-f", "jsonl", "-q", "-o", str(fifo), timeout=60)
    reader.join(timeout=30)
    assert res.returncode == 0, res.stderr
    assert st_mod.S_ISFIFO(os.stat(fifo).st_mode)             # still a FIFO
    assert got and b'"protocol":"ssh"' in got[0]


def test_output_symlink_with_force_replaces_the_target_not_the_link(tmp_path):
    import os
    target = tmp_path / "report.jsonl"
    target.write_text("old\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    demo = os.path.join(os.path.dirname(__file__), os.pardir, "pcaps", "corpus", "mismatch-ssh-on-443.pcap")
    res = portlens("analyze", demo, "-f", "jsonl", "-q", "-o", str(link), "--force", timeout=60)
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and '"protocol":"ssh"' in target.read_text()


def test_jsonl_write_many_gives_the_same_bytes_as_write():
    """The CLI hands jsonl whole batches (one stream write per batch); the bytes must be
    those of one write() per record, and eve (a subclass) still shapes each record."""
    import io
    from classifier.output.eve import EveWriter
    from classifier.output.jsonl import JsonlWriter
    recs = [{"a": i, "s": "é\u2028", "m": {"x": [1, 2]}, "o": object.__name__} for i in range(5)]
    import classifier
    real = list(classifier.analyze(os.path.join(CORPUS_DIR, "corpus", "mismatch-ssh-on-443.pcap"), ml="off"))
    for cls, data in ((JsonlWriter, recs), (EveWriter, real)):
        one, many = io.StringIO(), io.StringIO()
        w1, w2 = cls(one), cls(many)
        for r in data:
            w1.write(r)
        w2.write_many(data[:2])
        w2.write_many([])
        w2.write_many(data[2:])
        assert one.getvalue() == many.getvalue() and one.getvalue().count("\n") == len(data) > 0
    assert all(json.loads(x)["event_type"] == "flow" for x in many.getvalue().splitlines())


def test_compiled_community_id_matches_the_python_original():
    # Every record gets its Community ID in compiled code (classifier/_records.pyx);
    # the spec's vector, then random endpoints of both families against the original.
    import ipaddress
    import random
    from classifier._records import community_id_raw
    a, b = ipaddress.ip_address("128.232.110.120").packed, ipaddress.ip_address("66.35.250.204").packed
    assert community_id_raw(a, b, 6, 34855, 80) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    assert community_id_raw(b, a, 6, 80, 34855) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    assert community_id_raw(a, b, 1, 0, 0) is None
    rnd = random.Random(17)
    names = {6: "tcp", 17: "udp", 132: "sctp"}
    for _ in range(500):
        n = rnd.choice((4, 16))
        x = bytes(rnd.randrange(256) for _ in range(n))
        y = x if rnd.random() < 0.2 else bytes(rnd.randrange(256) for _ in range(n))
        p, cp, sp = rnd.choice((6, 17, 132)), rnd.randrange(65536), rnd.randrange(65536)
        want = community_id(names[p], str(ipaddress.ip_address(x)), str(ipaddress.ip_address(y)), cp, sp)
        assert community_id_raw(x, y, p, cp, sp) == want


def test_both_sha1_paths_give_hashlib_digests():
    # The Community ID's SHA-1 runs on the x86 SHA extensions where the CPU has them,
    # else on scalar rounds: both against hashlib on every message length the
    # Community ID can hash (38 bytes for IPv4, 14 + 2 x 16 for IPv6) and beyond.
    import hashlib
    import random
    from classifier._records import have_sha_extensions, sha1_digest
    rnd = random.Random(5)
    for n in range(120):
        for _ in range(8):
            msg = bytes(rnd.randrange(256) for _ in range(n))
            want = hashlib.sha1(msg).digest()
            assert sha1_digest(msg, False) == want, n
            assert sha1_digest(msg, True) == want, n
    if not have_sha_extensions():
        pytest.skip("this CPU has no SHA extensions: the scalar rounds were checked twice")


def test_a_mismatch_on_a_model_guess_is_marked_in_every_format():
    """source "ml" (the model alone) is visible in each format, and so is a mismatch that
    rests on it: the table's `?` marks, JSON/CSV/EVE/Zeek/Parquet's source and
    verdict_reason, the html report's ml style."""
    reason = "443/tcp implies tls; the model guesses the payload is ssh (p 0.81), no detector matched"
    rec = _rec(protocol="ssh", source="ml", confidence=0.81, verdict="mismatch", verdict_reason=reason,
               ml={"protocol": "ssh", "probability": 0.81}, payload={"c2s": 40, "s2c": 40})
    dpi = _rec(protocol="ssh", source="dpi", confidence=1.0, verdict="mismatch",
               verdict_reason="443/tcp implies tls; payload is ssh", client_port=40001)
    out = io.StringIO()
    w = TableWriter(out, color=True)
    w.write(rec)
    w.write(dpi)
    w.close()
    import re
    lines = re.sub(r"\033\[[0-9;]*m", "", out.getvalue()).splitlines()
    assert "ssh?" in lines[1] and "mismatch?" in lines[1]
    assert "ssh?" not in lines[2] and "mismatch?" not in lines[2] and "mismatch" in lines[2]
    assert any("mismatch?" in ln and "min-confidence" in ln for ln in lines[3:])       # the legend
    # colour: the guess's PROTOCOL is not painted red as a detector's mismatch is
    raw = out.getvalue().splitlines()
    assert "\033[1;31mssh?" not in raw[1] and "\033[1;31mssh\033[0m" in raw[2]
    for fmt in ("jsonl",):
        o = io.StringIO()
        WRITERS[fmt](o).write(rec)
        got = json.loads(o.getvalue())
        assert got["source"] == "ml" and got["verdict_reason"] == reason
    o = io.StringIO()
    CsvWriter(o).write(rec)
    row = list(csv.DictReader(io.StringIO(o.getvalue())))[0]
    assert row["source"] == "ml" and row["verdict_reason"] == reason
    o = io.StringIO()
    EveWriter(o).write(rec)
    ev = json.loads(o.getvalue())
    assert ev["portlens"]["source"] == "ml" and ev["portlens"]["verdict_reason"] == reason
    o = io.StringIO()
    WRITERS["zeek"](o).write(rec)
    assert "\tml\t" in o.getvalue()
    o = io.StringIO()
    w = WRITERS["html"](o)
    w.write(rec)
    w.write(dpi)
    w.close()
    html = o.getvalue()
    assert html.count('title="a mismatch resting on the model\'s guess alone') == 1
    assert "a mismatch resting on that guess" in html


def test_output_file_sends_its_bytes_to_disk_as_it_grows(tmp_path, monkeypatch):
    """Output's temporary file (fsynced at commit) asks the kernel to start writing
    each WRITEBACK_EVERY bytes as they come, so the commit's fsync does not wait for a
    flood's gigabytes at once; the file's content is unchanged, and a stream that is
    not a regular file is never advised."""
    from classifier.output import GuardedStream, Output
    calls = []
    real = os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, off, n, adv: (calls.append((off, n, adv)),
                                                                      real(fd, off, n, adv)))
    monkeypatch.setattr(GuardedStream, "WRITEBACK_EVERY", 1000)
    out = Output(str(tmp_path / "big.jsonl"))
    chunks = [(b"%06d" % i) * 50 + b"\n" for i in range(40)]       # 301 bytes each
    for c in chunks:
        out.stream.write_bytes(c)
    out.commit()
    assert (tmp_path / "big.jsonl").read_bytes() == b"".join(chunks)
    assert calls and all(adv == os.POSIX_FADV_DONTNEED for _, _, adv in calls)
    starts = [off for off, _, _ in calls]
    assert starts[0] == 0 and all(n >= 1000 for _, n, _ in calls)
    assert all(a + n == b for (a, n, _), b in zip(calls, starts[1:]))    # contiguous ranges
    calls.clear()
    piped = GuardedStream(io.TextIOWrapper(io.BytesIO()), "<memory>")
    for c in chunks:
        piped.write_bytes(c)
    assert calls == []
