"""The formats SOC pipelines read: Zeek conn.log (read back by a Zeek log reader and by
zeek-cut-style header parsing) and Parquet (read by DuckDB and pandas), each holding
the same flows as jsonl; community_id in every format with a flow record."""
from __future__ import annotations

import csv
import io
import json
import os

import pytest

from clirun import portlens

from classifier.output import WRITERS
from classifier.output.zeek import FIELDS as ZEEK_FIELDS, escape

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(HERE), "pcaps", "corpus")
# TLS, SSH, QUIC, DNS, an ICMP-free mix, and a mismatch: fingerprints, labels, no label.
CAPTURES = [os.path.join(CORPUS, n) for n in (
    "tls-1.pcap", "ssh-1.pcap", "quic-1.pcap", "dns-1.pcap", "http-1.pcap", "mismatch-tls-on-22.pcap",
    "ntp-1.pcap", "smb-1.pcap")]


def run(*args):
    return portlens(*args, timeout=120)


@pytest.fixture(scope="module")
def records():
    res = run("analyze", *CAPTURES, "-f", "jsonl", "-q")
    assert res.returncode == 0, res.stderr
    recs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert any("ja4" in r["metadata"] for r in recs) and any("hassh" in r["metadata"] for r in recs)
    return recs


# --- Zeek conn.log ------------------------------------------------------------------
@pytest.fixture(scope="module")
def conn_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("zeek") / "conn.log"
    res = run("analyze", *CAPTURES, "-f", "zeek", "-o", str(path), "-q")
    assert res.returncode == 0, res.stderr
    return path


def zeek_cut(path, *columns):
    """What `zeek-cut` does: find the columns by the #fields header, print those."""
    fields, sep, rows = None, "\t", []
    for line in open(path, encoding="ascii"):
        line = line.rstrip("\n")
        if line.startswith("#separator"):
            sep = line.split(" ", 1)[1].encode().decode("unicode_escape")
        elif line.startswith("#fields"):
            fields = line.split(sep)[1:]
        elif line and not line.startswith("#"):
            vals = line.split(sep)
            assert len(vals) == len(fields)
            rows.append([vals[fields.index(c)] for c in columns])
    return rows


def test_conn_log_header_is_zeeks(conn_log):
    lines = open(conn_log).read().splitlines()
    assert lines[0] == "#separator \\x09"
    assert lines[1:5] == ["#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn"]
    assert lines[5].startswith("#open\t") and lines[-1].startswith("#close\t")
    fields = lines[6].split("\t")[1:]
    types = lines[7].split("\t")[1:]
    # Zeek's own conn.log columns first, in Zeek's order and types; ours after.
    assert fields[:8] == ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"]
    assert types[:4] == ["time", "string", "addr", "port"] and types[8] == "interval"
    assert fields.index("tunnel_parents") < fields.index("community_id")
    assert list(zip(fields, types)) == list(ZEEK_FIELDS)


def test_conn_log_zeek_cut_matches_jsonl(conn_log, records):
    rows = zeek_cut(conn_log, "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
                    "orig_pkts", "resp_pkts", "community_id", "verdict", "ja4", "hassh", "uid")
    assert len(rows) == len(records)
    uids = set()
    for row, rec in zip(rows, records):
        assert row[:5] == [rec["client"], str(rec["client_port"]), rec["server"], str(rec["server_port"]),
                           rec["transport"]]
        assert row[5] == (rec["protocol"] if rec["protocol"] != "unknown" else "-")
        assert row[6:10] == [str(rec["packets_c2s"]), str(rec["packets_s2c"]), rec["community_id"], rec["verdict"]]
        assert row[10] == rec["metadata"].get("ja4", "-") and row[11] == rec["metadata"].get("hassh", "-")
        assert row[12].startswith("C") and len(row[12]) == 18
        uids.add(row[12])
    assert len(uids) == len(rows)


def test_conn_log_read_by_zat(conn_log, records):
    zat = pytest.importorskip("zat.log_to_dataframe", reason="zat (a Zeek log reader) is not installed")
    df = zat.LogToDataFrame().create_dataframe(str(conn_log), ts_index=False)
    assert len(df) == len(records)
    for (_, row), rec in zip(df.iterrows(), records):
        assert row["id.orig_h"] == rec["client"] and int(row["id.resp_p"]) == rec["server_port"]
        assert int(row["orig_pkts"]) == rec["packets_c2s"]
        assert row["ts"].timestamp() == pytest.approx(rec["ts_start"], abs=1e-6)
        assert row["duration"].total_seconds() == pytest.approx(rec["ts_end"] - rec["ts_start"], abs=1e-6)
        assert row["community_id"] == rec["community_id"]


def test_zeek_escaping():
    assert escape(None) == "-" and escape("") == "(empty)" and escape("-") == "\\x2d"
    assert escape("a\tb\nc\\") == "a\\x09b\\x0ac\\x5c"
    assert escape("caf\u00e9") == "caf\\xc3\\xa9"
    assert escape(1.5) == "1.500000" and escape(True) == "T"


# --- Parquet ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install 'portlens[parquet]')")
    path = tmp_path_factory.mktemp("pq") / "flows.parquet"
    res = run("analyze", *CAPTURES, "-f", "parquet", "-o", str(path), "-q")
    assert res.returncode == 0, res.stderr
    return path


def _back_to_record(row: dict) -> dict:
    """A Parquet row as the jsonl record it came from."""
    rec = {k: row[k] for k in ("capture", "transport", "client", "client_port", "server", "server_port",
                               "vlan", "tunnel", "packets_c2s", "packets_s2c", "bytes_c2s", "bytes_s2c",
                               "protocol", "source", "confidence", "port_protocol", "verdict",
                               "community_id", "end_reason", "port_service", "port_class", "verdict_reason")}
    rec["ts_start"] = row["ts_start"].timestamp()
    rec["ts_end"] = row["ts_end"].timestamp()
    rec["metadata"] = json.loads(row["metadata"])
    rec["tcp_flags"] = None if row["tcp_flags_c2s"] is None else {"c2s": row["tcp_flags_c2s"], "s2c": row["tcp_flags_s2c"]}
    pay = {"c2s": row["payload_c2s"], "s2c": row["payload_s2c"]}
    if row["payload_notes"] is not None:
        pay["notes"] = list(row["payload_notes"])
    rec["payload"] = pay
    if row["ml_protocol"] is not None:
        rec["ml"] = {"protocol": row["ml_protocol"], "probability": row["ml_probability"]}
    return rec


def test_parquet_read_by_duckdb_equals_jsonl(parquet_file, records):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed")
    con = duckdb.connect()
    cur = con.execute(f"SELECT * FROM read_parquet('{parquet_file}')")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    assert len(rows) == len(records)
    for row, rec in zip(rows, records):
        want = {k: v for k, v in rec.items() if not (k == "ml" and v is None)}
        assert _back_to_record(row) == want
        for k in ("sni", "ja4", "ja3", "ja3s", "hassh", "hassh_server"):
            assert row[k] == rec["metadata"].get(k)
    # Typed columns: DuckDB sees timestamps and small unsigned ports, not text.
    types = dict(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{parquet_file}')").fetchall()[i][:2]
                 for i in range(len(names)))
    assert types["ts_start"] == "TIMESTAMP WITH TIME ZONE" and types["server_port"] == "USMALLINT"
    assert types["packets_c2s"] == "UBIGINT" and types["payload_notes"] == "VARCHAR[]"
    n = con.execute(f"SELECT count(*) FROM read_parquet('{parquet_file}') WHERE protocol = 'tls' AND ja4 LIKE 't1%'").fetchone()[0]
    assert n == sum(1 for r in records if r["protocol"] == "tls" and r["metadata"].get("ja4", "").startswith("t1"))


def test_parquet_read_by_pandas(parquet_file, records):
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    df = pd.read_parquet(parquet_file)
    assert list(df["community_id"]) == [r["community_id"] for r in records]
    assert str(df["ts_start"].dtype).startswith("datetime64[us, UTC]")
    assert str(df["client_port"].dtype) == "uint16"


def test_parquet_writes_a_row_group_per_batch(tmp_path, monkeypatch, records):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed")
    from classifier.output import parquet
    monkeypatch.setattr(parquet, "ROW_GROUP", 3)
    path = tmp_path / "small.parquet"
    with open(path, "w") as fh:
        w = parquet.ParquetWriter(fh)
        for rec in records:
            w.write(rec)
        w.close()
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == len(records)
    assert meta.num_row_groups == -(-len(records) // 3)


def test_parquet_refuses_stdout():
    pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    res = run("analyze", CAPTURES[0], "-f", "parquet", "-q")
    assert res.returncode == 2 and res.stdout == b""
    err = res.stderr.decode().strip().splitlines()
    assert len(err) == 1 and "-o FILE.parquet" in err[0]


# --- community_id everywhere ----------------------------------------------------------
def test_community_id_in_every_flow_format(records):
    want = [r["community_id"] for r in records]
    assert all(c and c.startswith("1:") for c in want)
    res = run("analyze", *CAPTURES, "-f", "csv", "-q")
    assert [row["community_id"] for row in csv.DictReader(io.StringIO(res.stdout.decode()))] == want
    res = run("analyze", *CAPTURES, "-f", "eve", "-q")
    assert [json.loads(x)["community_id"] for x in res.stdout.decode().splitlines()] == want
    out = io.StringIO()
    w = WRITERS["html"](out)
    for r in records:
        w.write(r)
    w.close()
    assert want[0] in out.getvalue()          # the flow detail shows every record field
