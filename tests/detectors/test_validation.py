"""Validation on real captures.

* ../shared/ndpi-dev: agreement with nDPI on the flows it labelled with confidence DPI
  and whose protocol we support (target >= 97%).  Skipped when ../shared is absent.
* pcaps/corpus: every flow with payload carries the label its generator knows (100%).
"""
from __future__ import annotations

import os

import pytest

from refdata import needs_ndpi


@needs_ndpi
def test_ndpi_dpi_agreement_at_least_97_percent():
    import ndpi_eval
    ok, total, per, disagree, _ = ndpi_eval.evaluate()
    assert total > 1000                      # the reference set was actually read
    assert ok / total >= 0.97, disagree.most_common(10)
    # The big classes must each be right almost everywhere, not carried by SLP volume.
    for proto in ("TLS", "HTTP", "DNS", "QUIC", "LLMNR", "SSDP", "STUN"):
        good, n = per[proto]
        assert good / n >= 0.95, (proto, good, n)


CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pcaps", "corpus",
                      "manifest.jsonl")


@pytest.mark.skipif(not os.path.exists(CORPUS), reason="pcaps/corpus not generated")
def test_corpus_every_flow_with_payload_is_labelled_correctly():
    import corpus_eval
    per, wrong = corpus_eval.evaluate()
    assert sum(n for _, n in per.values()) > 0
    assert wrong == []
