"""The analysis pipeline as a library and as `analyze`'s options: detectors, the model
(--ml off|fallback|all, --model), verdicts; and `portlens train` wired into the CLI."""
import json
import os
import subprocess
import sys

import pytest

import classifier
from classifier.errors import CaptureError, PortlensError
from refdata import CORPUS_DIR, ROOT

DEMO = os.path.join(CORPUS_DIR, "corpus", "mismatch-http-on-53tcp.pcap")


def run(*args):
    return subprocess.run([sys.executable, "-m", "classifier", *args], capture_output=True, timeout=120)


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
    assert res.returncode == 3 and res.stdout == b""
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
