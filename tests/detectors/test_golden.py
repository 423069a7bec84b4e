"""Golden tests: every capture under pcaps/ has an expected per-flow output file in
tests/detectors/golden/<capture>.json; any change of label, confidence, metadata or
conflicts shows up as a diff.  Regenerate with:

    PORTLENS_REGEN_GOLDEN=1 python3 -m pytest tests/detectors/test_golden.py

then review the diff like code.
"""
from __future__ import annotations

import glob
import json
import os

import pytest

import dpkt_flows
from classifier.detectors.engine import classify_many

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.normpath(os.path.join(HERE, "..", "..", "pcaps"))
GOLDEN = os.path.join(HERE, "golden")
REGEN = os.environ.get("PORTLENS_REGEN_GOLDEN") == "1"
CAPTURES = sorted(p for p in glob.glob(os.path.join(PCAPS, "**", "*.pcap*"), recursive=True))


def render(path: str) -> list[dict]:
    rows = dpkt_flows.flows_with_tuples(path)
    labels = classify_many([r[0] for r in rows], [r[1] for r in rows])
    out = []
    for (view, tup, fl), lab in zip(rows, labels):
        d = lab.as_dict()
        out.append({
            "flow": f"{fl.transport} {tup[0]}:{tup[1]} > {tup[2]}:{tup[3]}",
            "bytes": [len(view.payload_c2s), len(view.payload_s2c)],
            "protocol": d["protocol"], "confidence": d["confidence"], "source": d["source"],
            "metadata": d["metadata"], "conflicts": d["conflicts"],
        })
    return out


def golden_path(capture: str) -> str:
    rel = os.path.relpath(capture, PCAPS).replace(os.sep, "__")
    return os.path.join(GOLDEN, rel + ".json")


@pytest.mark.skipif(not CAPTURES, reason="no captures under pcaps/")
@pytest.mark.parametrize("capture", CAPTURES, ids=[os.path.relpath(c, PCAPS) for c in CAPTURES])
def test_golden(capture):
    got = json.loads(json.dumps(render(capture)))     # normalise tuples -> lists
    path = golden_path(capture)
    if REGEN or not os.path.exists(path):
        if not REGEN:
            pytest.fail(f"no golden file for {capture}: run with PORTLENS_REGEN_GOLDEN=1")
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w") as f:
            json.dump(got, f, indent=1, sort_keys=True)
            f.write("\n")
    with open(path) as f:
        want = json.load(f)
    assert got == want


def test_no_orphan_golden_files():
    if not os.path.isdir(GOLDEN):
        pytest.skip("no golden directory yet")
    expected = {os.path.basename(golden_path(c)) for c in CAPTURES}
    orphans = [f for f in os.listdir(GOLDEN) if f.endswith(".json") and f not in expected]
    assert orphans == [], "golden files for captures that no longer exist"
