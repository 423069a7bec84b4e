"""The fast path's Flow objects satisfy the detector contract: on every capture, the
detectors label each flow as read by the product (classifier.flows.FlowReader) as they
label the same flow read by the slow dpkt reference (tests/dpkt_reference.py:
reference_views, the same payload prefixes, datagrams and packet lists).  A decoder
comparison: expectation (ftp-data) labels are left to test_goldens and test_pipeline."""
from __future__ import annotations

import glob
import os

import pytest

from classifier.detectors.engine import classify_batch, default_engine
from refdata import NDPI_PCAPS

flows_mod = pytest.importorskip("classifier.flows")       # needs the compiled fast path
dpkt_reference = pytest.importorskip("dpkt_reference")
HERE = os.path.dirname(os.path.abspath(__file__))


def captures():
    out = sorted(glob.glob(os.path.join(HERE, "..", "..", "pcaps", "**", "*.pcap*"), recursive=True))
    out += sorted(glob.glob(os.path.join(NDPI_PCAPS, "*.pcap*")))
    return [c for c in out if os.sep + "expected" + os.sep not in c]


@pytest.mark.skipif(not captures(), reason="no captures available")
def test_fast_path_flows_get_the_reference_labels():
    eng = default_engine()
    compared, differ = 0, []
    for cap in captures():
        try:
            batches = list(flows_mod.FlowReader(cap).batches())
        except Exception:
            continue                       # damaged files are the reader tests' business
        got = {}
        for batch in batches:
            for f, lab in zip(list(batch), classify_batch(batch)):
                if lab is None or lab.source != "expectation":
                    # every record of a 5-tuple: the fast path may split a connection (late
                    # keep-alive segments become "midstream" records) that the reference keeps
                    # whole; one of the records must carry the reference's label
                    key = (f.transport, frozenset([(f.client, f.client_port), (f.server, f.server_port)]))
                    got.setdefault(key, set()).add(lab.protocol if lab is not None else None)
        for view, tup, fl in dpkt_reference.reference_views(cap):
            key = (fl.transport, frozenset([fl.client, fl.server]))
            if key in got:
                compared += 1
                want = eng.classify(view).protocol
                if want not in got[key]:
                    differ.append((os.path.basename(cap), tup, want, sorted(map(str, got[key]))))
    assert compared > 300
    assert differ == []
