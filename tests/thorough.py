"""How hard the suite's randomised parts try: the default run (`pytest`) or the
thorough one (`PORTLENS_TESTS=thorough pytest ...`, which `.ci/run` runs as its second
step on the fuzz harnesses and the hypothesis-heavy files, and a nightly run may run on
everything).

The two differ only in how many inputs are tried (hypothesis examples, libFuzzer
executions); every test and every assertion runs in both.  README, "Tests and reference
data", says what the default keeps.
"""
from __future__ import annotations

import os

THOROUGH = os.environ.get("PORTLENS_TESTS", "").strip().lower() == "thorough"


def examples(default: int, thorough: int) -> int:
    """How many inputs to try: `default` in a normal run, `thorough` in a thorough one."""
    return thorough if THOROUGH else default
