"""Goldens from the product: each capture under pcaps/ against its expected output
(pcaps/expected/, rendered by FlowReader + Analyzer: see tests/goldens.py).  A change of
label, source, confidence, port-implied protocol, verdict or metadata shows up as a diff;
`pytest tests/test_goldens.py --regen-goldens` rewrites the files."""
from __future__ import annotations

import os

import pytest

import goldens

CAPTURES = goldens.captures()


@pytest.mark.parametrize("capture", CAPTURES, ids=[os.path.relpath(c, goldens.PCAPS) for c in CAPTURES])
def test_expected_output(capture, request):
    got = goldens.render(capture)
    path = goldens.expected_path(capture)
    if request.config.getoption("--regen-goldens"):
        goldens.write(capture, got)
    if not os.path.exists(path):
        pytest.fail(f"no expected output for {capture}: run pytest tests/test_goldens.py --regen-goldens")
    with open(path, encoding="utf-8") as fh:
        want = fh.read()
    assert got.splitlines() == want.splitlines()


def test_every_expected_file_has_its_capture(request):
    gone = goldens.orphans()
    if request.config.getoption("--regen-goldens"):
        for p in gone:
            os.remove(p)
        gone = goldens.orphans()
    assert gone == [], "expected output for captures that no longer exist"
    paths = [goldens.expected_path(c) for c in CAPTURES]
    assert len(set(paths)) == len(paths), "two captures would share one expected-output file"
