"""The analysis pipeline as a library and as `analyze`'s options: detectors, the model
(--ml off|fallback|all, --model), verdicts; and `portlens train` wired into the CLI."""
import json
import os

import pytest

from clirun import portlens

import classifier
from classifier.errors import CaptureError, PortlensError
from refdata import CORPUS_DIR, ROOT

DEMO = os.path.join(CORPUS_DIR, "corpus", "mismatch-http-on-53tcp.pcap")


def run(*args):
    return portlens(*args, timeout=120)


def test_library_analyze_gives_labelled_records_with_verdicts():
    (rec,) = list(classifier.analyze(DEMO))
    assert (rec["protocol"], rec["source"], rec["port_protocol"], rec["verdict"]) == ("http", "dpi", "dns", "mismatch")
    assert rec["verdict_reason"] == "53/tcp implies dns; payload is http"
    assert rec["ml"] is None                      # fallback: the detectors spoke


def test_library_analyzer_batch_by_batch_and_ml_all():
    analyzer = classifier.Analyzer.from_options(ml="all")
    recs = [r for b in classifier.FlowReader(DEMO).batches() for r in analyzer.label(b)]
    assert len(recs) == 1 and recs[0]["ml"]["protocol"] in ("http", "unknown")
    assert recs[0]["source"] in ("dpi", "dpi+ml") and recs[0]["protocol"] == "http"


def test_library_errors_are_portlens_errors(tmp_path):
    with pytest.raises(CaptureError):
        list(classifier.analyze(str(tmp_path / "missing.pcap")))
    with pytest.raises(PortlensError):
        classifier.Analyzer.from_options(model=str(tmp_path))


def test_cli_ml_modes():
    off = [json.loads(x) for x in run("analyze", DEMO, "-f", "jsonl", "-q", "--ml", "off").stdout.splitlines()]
    assert off and all("ml" not in r for r in off)
    every = [json.loads(x) for x in run("analyze", DEMO, "-f", "jsonl", "-q", "--ml", "all").stdout.splitlines()]
    assert every and all(r["ml"] is not None and 0 <= r["ml"]["probability"] <= 1 for r in every)


def test_cli_bad_model_is_one_line_error(tmp_path):
    res = run("analyze", DEMO, "--model", str(tmp_path / "nowhere"))
    err = res.stderr.decode()
    assert res.returncode == 5 and res.stdout == b""     # 5: the model could not be used
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "nowhere" in err


def test_cli_train_is_wired_and_never_overwrites_the_shipped_model(tmp_path):
    res = run("train", "--help")
    assert res.returncode == 0 and b"--corpus" in res.stdout
    shipped = os.path.join(ROOT, "models")
    assert os.path.isfile(os.path.join(shipped, "manifest.json"))
    res = run("train", "--out", shipped)           # the shipped model is there; no --force
    assert res.returncode == 2 and b"refusing to overwrite" in res.stderr


def test_record_keys_follow_the_schema_order():
    from classifier.schema import FIELDS, FLOW_EXTRA, STAGE_FIELDS
    (rec,) = list(classifier.analyze(DEMO))
    assert tuple(rec) == FIELDS + FLOW_EXTRA + STAGE_FIELDS
    (rec,) = list(classifier.analyze(DEMO, ml="off"))
    assert tuple(rec) == FIELDS + FLOW_EXTRA + STAGE_FIELDS[1:]


def _ftp_split_across_batches(tmp_path):
    """The corpus's EPSV exchange with the control connection's end moved 30 s later:
    the data connection (closed first) is reported in an earlier batch than the control
    connection that announced its port, as in any busy capture."""
    import dpkt
    from pcapgen import write_pcap
    src = os.path.join(CORPUS_DIR, "corpus", "ftp-1.pcap")
    pkts = list(dpkt.pcap.Reader(open(src, "rb")))
    ports = [(t.sport, t.dport) for t in (dpkt.ethernet.Ethernet(b).data.data for _, b in pkts)]
    last_data = max(i for i, pp in enumerate(ports) if 26339 in pp)    # the data connection's last packet
    frames = [(ts + (30.0 if i > last_data else 0.0), buf) for i, (ts, buf) in enumerate(pkts)]
    path = tmp_path / "ftp-split.pcap"
    write_pcap(path, frames)
    return str(path)


def test_ftp_data_is_tied_to_a_control_flow_of_a_later_batch(tmp_path):
    from classifier.flows import FlowConfig, FlowReader
    path = _ftp_split_across_batches(tmp_path)
    cfg = FlowConfig(closed=1.0)
    batches = list(FlowReader(path, cfg, batch_size=1).batches())
    assert [len(b) for b in batches] == [1, 1]          # data flow first, alone
    alone = classifier.Analyzer.from_options(ml="off")
    assert [r["protocol"] for b in batches for r in alone.label(b)] != ["ftp-data", "ftp"]
    streaming = classifier.Analyzer.from_options(ml="off")
    out = []
    for b in FlowReader(path, cfg, batch_size=1).batches():
        out += streaming.push(b)
    out += streaming.flush()
    assert [(r["protocol"], r["server_port"]) for r in out] == [("ftp-data", 26339), ("ftp", 27117)]
    data = out[0]
    assert data["source"] == "dpi" and data["confidence"] == 1.0
    assert data["verdict"] == "unregistered-port" or data["verdict"] == "mismatch"   # verdict redone


def test_unlabelled_tcp_flows_are_held_for_a_count_of_flows_not_of_batches(monkeypatch):
    """The hold-back window is HOLD_FLOWS later flows whatever the batch size; a held
    flow an announcement ties comes out at once, relabelled."""
    import numpy as np
    from types import SimpleNamespace
    from classifier.pipeline import Analyzer

    def rec(port, protocol="unknown", source="none", meta=None):
        return {"transport": "tcp", "client": "10.0.0.1", "client_port": 30000 + port % 1000,
                "server": "10.0.0.2", "server_port": port, "protocol": protocol, "source": source,
                "confidence": None, "metadata": meta or {}, "ml": None}

    def batch(recs):
        cols = np.zeros(len(recs), dtype=[("proto", "u1"), ("server_port", "u2"), ("client_port", "u2")])
        cols["proto"] = 6
        cols["server_port"] = [r["server_port"] for r in recs]
        cols["client_port"] = [r["client_port"] for r in recs]
        return SimpleNamespace(records=cols, recs=recs)

    monkeypatch.setattr(Analyzer, "label", lambda self, b: b.recs)
    monkeypatch.setattr(Analyzer, "HOLD_FLOWS", 3)
    a = Analyzer(verdicts=False)
    labelled = lambda port: rec(port, "http", "dpi")
    held, data = rec(7000), rec(50000)
    assert a.push(batch([held, data])) == []                       # both unlabelled: held
    assert a.push(batch([labelled(80)])) == [labelled(80)]         # 1 flow later: still held
    ctrl = rec(21, "ftp", "dpi", {"expect": [{"via": "PASV", "host": "10.0.0.2", "port": 50000}]})
    out = a.push(batch([ctrl]))                                    # 2 later: the announcement ties one
    assert [(r["server_port"], r["protocol"]) for r in out] == [(50000, "ftp-data"), (21, "ftp")]
    assert a.push(batch([labelled(443)])) == [held, labelled(443)]  # 3 later: out, unlabelled
    assert a.flush() == []


def test_ftp_linker_needs_an_announcement_never_a_port():
    from classifier.pipeline import FtpLinker
    rec = {"transport": "tcp", "client": "10.0.0.1", "client_port": 40000, "server": "10.0.0.2",
           "server_port": 20, "protocol": "unknown", "source": "none", "confidence": None, "metadata": {}}
    linker = FtpLinker()
    assert linker.link([dict(rec)]) == []                # port 20 alone means nothing
    ctrl = dict(rec, server_port=21, protocol="ftp",
                metadata={"expect": [{"via": "PASV", "host": "10.0.0.2", "port": 50000}]})
    linker.learn([ctrl])
    (got,) = linker.link([dict(rec, server_port=50000, protocol="tls", confidence=0.9)])
    assert got["protocol"] == "ftp-data" and got["metadata"]["conflicts"] == [{"protocol": "tls", "confidence": 0.9}]


def test_a_raising_probe_is_counted_in_the_summary(monkeypatch):
    """A probe that raises (a bug of ours) no longer disappears: the Analyzer counts it
    per detector and the CLI's summary line says so; the flow still gets the other
    detectors' label."""
    from classifier.cli import _probe_errors_text
    from classifier.detectors import engine as E
    from classifier.detectors import detector_list
    from classifier.detectors.base import DetectorSpec, Prefilter
    from classifier.flows import FlowReader
    from classifier.pipeline import Analyzer

    monkeypatch.delenv("PORTLENS_STRICT_PROBES", raising=False)

    def boom(view, state):
        raise IndexError("index out of range")
    specs = [DetectorSpec(name="boom", transports=("tcp", "udp"), probe=boom, prefilter=Prefilter(any=True))]
    monkeypatch.setattr(E, "_default", E.Engine(specs + list(detector_list.SPECS)))
    path = os.path.join(ROOT, "pcaps", "corpus", "mismatch-ssh-on-443.pcap")
    analyzer = Analyzer()
    recs = [r for b in FlowReader(path).batches() for r in analyzer.label(b)]
    assert any(r["protocol"] == "ssh" for r in recs)        # the other detectors still ran
    errors = analyzer.take_probe_errors()
    assert list(errors) == ["boom"] and errors["boom"][0] >= 1
    assert errors["boom"][1] == "boom: IndexError: index out of range"
    assert analyzer.take_probe_errors() == {}
    text = _probe_errors_text(errors)
    assert text.startswith(f"; detector errors {errors['boom'][0]} in 1 detector(s), first: boom: IndexError")
    assert _probe_errors_text({}) == ""
