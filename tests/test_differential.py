"""Differential test: the fast path against the dpkt-based reference decoder.

For every capture under pcaps/ (and ../shared/ndpi-dev/pcaps when present), the
TCP/UDP flows and their per-direction packet counts must be identical. Timeouts are
set out of reach on both sides: dpkt misreads some pcapng timestamp resolutions, and
the timeout rules have unit tests of their own (test_flow_table.py).
"""
import os

import pytest

from classifier.flows import FlowConfig, FlowReader
from refdata import CORPUS_DIR, NDPI_PCAPS, capture_files
from dpkt_reference import Unreadable, reference_flows

FAR = 1e9
CAPTURES = capture_files(CORPUS_DIR) + (capture_files(NDPI_PCAPS) if os.path.isdir(NDPI_PCAPS) else [])


def fast_flows(path):
    cfg = FlowConfig(idle_tcp=FAR, idle_udp=FAR, closed=FAR, active=FAR)
    out = {}
    for f in FlowReader(path, cfg):
        if f.transport in ("tcp", "udp"):
            out.setdefault(f.key(), []).append([f.packets_c2s, f.packets_s2c])
    return out


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: os.path.relpath(p, os.path.dirname(p) + "/.."))
def test_flows_and_packet_counts_match_the_reference(path):
    try:
        ref = reference_flows(path, idle_tcp=FAR, idle_udp=FAR, closed=FAR, active=FAR)
    except Unreadable as e:
        pytest.skip(f"dpkt cannot read this file: {e}")
    ours = fast_flows(path)
    missing = {k: v for k, v in ref.items() if ours.get(k) != v}
    extra = {k: v for k, v in ours.items() if k not in ref}
    assert not missing and not extra, f"differ: reference-only/changed {list(missing.items())[:5]}, ours-only {list(extra.items())[:5]}"


def test_there_is_something_to_compare():
    assert CAPTURES, "no captures under pcaps/ (and no ../shared/ndpi-dev)"
