"""Delivery in fragments gives the verdict of delivery whole -- on real flows.

Each flow of the reference captures (and of pcaps/ when present) is replayed packet by
packet, in capture order, into one FlowSession: the final label must equal the label of
the complete flow.  This is what a streaming engine sees, including STUN exchanges that
turn into DTLS or media, padded handshakes and duplicated packets.
"""
from __future__ import annotations

import glob
import os

import pytest

import dpkt_flows
from classifier.detectors.engine import Engine, FlowSession
from classifier.detectors.flowview import FlowView

HERE = os.path.dirname(os.path.abspath(__file__))


def replay(v):
    """Views of the flow after each packet (UDP: each datagram)."""
    if v.transport == "udp":
        c, s = [], []
        for i in range(max(len(v.datagrams_c2s), len(v.datagrams_s2c))):
            if i < len(v.datagrams_c2s):
                c.append(v.datagrams_c2s[i])
                yield FlowView.udp(list(c), list(s))
            if i < len(v.datagrams_s2c):
                s.append(v.datagrams_s2c[i])
                yield FlowView.udp(list(c), list(s))
        return
    lc = ls = 0
    for d, size in zip(v.pkt_dirs, v.pkt_sizes):
        if not size:
            continue
        if d == 0:
            lc = min(len(v.payload_c2s), lc + size)
        else:
            ls = min(len(v.payload_s2c), ls + size)
        yield FlowView("tcp", v.payload_c2s[:lc], v.payload_s2c[:ls], midstream=v.midstream)
    yield FlowView("tcp", v.payload_c2s, v.payload_s2c, midstream=v.midstream)


def captures():
    out = sorted(glob.glob(os.path.join(HERE, "..", "..", "pcaps", "**", "*.pcap*"), recursive=True))
    if dpkt_flows.NDPI_DIR:
        out += sorted(glob.glob(os.path.join(dpkt_flows.NDPI_DIR, "pcaps", "*.pcap*")))
    return out


@pytest.mark.skipif(not captures(), reason="no captures available")
def test_replayed_flows_end_with_the_whole_flow_label():
    eng = Engine()
    differ, flows = [], 0
    for cap in captures():
        for view, tup, _fl in dpkt_flows.flows_with_tuples(cap):
            whole = eng.classify(view).protocol
            session, label = FlowSession(), None
            for part in replay(view):
                label = eng.classify(part, session)
            if label is None:
                continue
            flows += 1
            if label.protocol != whole:
                differ.append((os.path.basename(cap), tup, whole, label.protocol))
    # The corpus alone has ~400 flows; with ../shared/ndpi-dev there are thousands.
    assert flows > (500 if dpkt_flows.NDPI_DIR else 300)
    assert differ == []
