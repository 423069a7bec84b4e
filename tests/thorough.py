"""How hard the suite's randomised parts try: the default run (`pytest`) or the
thorough one (`PORTLENS_TESTS=thorough pytest ...`, which `.ci/run` runs as its second
step on the fuzz harnesses and the hypothesis-heavy files, and a nightly run may run on
everything).

The two differ in how many inputs are tried (hypothesis examples, libFuzzer
executions), and in the few tests marked `only()`, which the default run skips with the
reason: the coverage-guided atheris runs and the wheel's build and install.  README, "Tests and reference
data", says what the default keeps.
"""
from __future__ import annotations

import os

import pytest

THOROUGH = os.environ.get("PORTLENS_TESTS", "").strip().lower() == "thorough"


def examples(default: int, thorough: int) -> int:
    """How many inputs to try: `default` in a normal run, `thorough` in a thorough one."""
    return thorough if THOROUGH else default


def only(what: str, instead: str = ""):
    """A mark: the test runs in a thorough run only; the default run skips it, saying
    what it is, how to run it and (`instead`) what the default run does in its place."""
    reason = f"{what}: thorough run only (PORTLENS_TESTS=thorough, the second step of .ci/run)"
    return pytest.mark.skipif(not THOROUGH, reason=reason + (f"; {instead}" if instead else ""))
