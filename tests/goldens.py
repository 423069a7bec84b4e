"""Expected output per capture, rendered by the product: `FlowReader` + `Analyzer`.

Every capture under pcaps/ has one file pcaps/expected/<dir>/<name>.jsonl, one line per
flow in the order `portlens analyze` reports them: the flow, then protocol, source,
confidence, port_protocol, verdict and metadata.  tests/test_goldens.py fails on any
difference; regenerate, then review the diff like code:

    python -m pytest tests/test_goldens.py --regen-goldens
    python tests/goldens.py                      # the same, without pytest
"""
from __future__ import annotations

import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PCAPS = os.path.join(ROOT, "pcaps")
EXPECTED = os.path.join(PCAPS, "expected")
FIELDS = ("protocol", "source", "confidence", "port_protocol", "verdict", "metadata")


def captures() -> list:
    """Every capture under pcaps/ (not the expected-output files), sorted."""
    found = glob.glob(os.path.join(PCAPS, "**", "*.pcap*"), recursive=True)
    return sorted(p for p in found if not p.startswith(EXPECTED + os.sep))


def expected_path(capture: str) -> str:
    rel = os.path.relpath(capture, PCAPS)
    return os.path.join(EXPECTED, os.path.splitext(rel)[0] + ".jsonl")


_ANALYZER_PARTS = {}


def _analyzer():
    # The shipped model and the IANA registry are loaded once per process; each capture
    # gets a fresh Analyzer, as `portlens analyze` gives each file.
    from classifier.ml.combine import MLStage
    from classifier.ml.model import load
    from classifier.pipeline import Analyzer
    from classifier.ports import default_registry
    if not _ANALYZER_PARTS:
        _ANALYZER_PARTS.update(model=load(), registry=default_registry())
    return Analyzer(ml=MLStage(_ANALYZER_PARTS["model"], "fallback"), registry=_ANALYZER_PARTS["registry"])


def render(capture: str) -> str:
    """The capture's expected-output text, as `portlens analyze` labels it by default."""
    from classifier.flows import ANALYZE_BATCH, FlowReader
    analyzer = _analyzer()
    size, payload = ANALYZE_BATCH
    reader = FlowReader(capture, None, size, batch_payload=payload)
    recs = []
    for batch in reader.batches():
        recs += analyzer.push(batch)
    recs += analyzer.flush()
    lines = []
    for r in recs:
        row = {"flow": f"{r['transport']} {r['client']}:{r['client_port']} > {r['server']}:{r['server_port']}"}
        row.update((k, r.get(k)) for k in FIELDS)
        lines.append(json.dumps(row, sort_keys=False, separators=(",", ":"), default=str))
    return "\n".join(lines) + "\n"


def write(capture: str, text: str) -> None:
    path = expected_path(capture)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def orphans() -> list:
    """Expected-output files whose capture is gone."""
    want = {expected_path(c) for c in captures()}
    have = glob.glob(os.path.join(EXPECTED, "**", "*.jsonl"), recursive=True)
    return sorted(p for p in have if p not in want)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    for c in captures():
        write(c, render(c))
    for p in orphans():
        os.remove(p)
        print(f"removed {os.path.relpath(p, ROOT)} (its capture is gone)")
    print(f"wrote {len(captures())} files under {os.path.relpath(EXPECTED, ROOT)}/")
