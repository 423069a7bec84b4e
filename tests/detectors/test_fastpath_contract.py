"""The fast path's Flow objects satisfy the detector contract: on every capture, the
labels computed from classifier.flows equal those computed from the slow dpkt
reference flows (same payload prefixes, datagrams and packet lists)."""
from __future__ import annotations

import glob
import os

import pytest

import dpkt_flows
from classifier.detectors import classify_flows
from classifier.detectors.engine import classify_many

flows_mod = pytest.importorskip("classifier.flows")       # needs the compiled fast path
HERE = os.path.dirname(os.path.abspath(__file__))


def captures():
    out = sorted(glob.glob(os.path.join(HERE, "..", "..", "pcaps", "**", "*.pcap*"), recursive=True))
    if dpkt_flows.NDPI_DIR:
        out += sorted(glob.glob(os.path.join(dpkt_flows.NDPI_DIR, "pcaps", "*.pcap*")))
    return out


@pytest.mark.skipif(not captures(), reason="no captures available")
def test_fast_path_flows_get_the_reference_labels():
    compared, differ = 0, []
    for cap in captures():
        try:
            fast = list(flows_mod.FlowReader(cap))
        except Exception:
            continue                       # damaged files are the reader tests' business
        # The fast reader may split one 5-tuple into several flows (packets after a close,
        # a late FIN or RST) where the reference keeps one: the reference's label must be
        # one of the fast flows' labels for that 5-tuple.
        got = {}
        for f, lab in zip(fast, classify_flows(fast)):
            got.setdefault((f.transport, frozenset([(f.client, f.client_port), (f.server, f.server_port)])),
                           set()).add(lab.protocol)
        rows = dpkt_flows.flows_with_tuples(cap)
        for (view, tup, fl), lab in zip(rows, classify_many([r[0] for r in rows], [r[1] for r in rows])):
            key = (fl.transport, frozenset([fl.client, fl.server]))
            if key in got:
                compared += 1
                if lab.protocol not in got[key]:
                    differ.append((os.path.basename(cap), tup, lab.protocol, sorted(map(str, got[key]))))
    assert compared > 300
    assert differ == []
