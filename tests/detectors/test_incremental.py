"""Delivery in fragments gives the label of delivery whole -- on real flows.

Each flow of pcaps/ (and of the reference captures when present), as the product's
reader gives it (classifier.flows.FlowReader), is replayed packet by packet, in capture
order, into one FlowSession: the final label must equal the label of the complete flow.  This is what a streaming engine sees, including STUN exchanges that
turn into DTLS or media, padded handshakes and duplicated packets.
"""
from __future__ import annotations

import glob
import os

import pytest

from classifier.detectors.engine import Engine, FlowSession, snapshot
from classifier.detectors.flowview import FlowView
from refdata import NDPI_PCAPS

flows_mod = pytest.importorskip("classifier.flows")       # needs the compiled fast path

HERE = os.path.dirname(os.path.abspath(__file__))


def replay(v):
    """Views of the flow after each packet (UDP: each datagram), in capture order (the
    packet list's directions; past its end, alternating)."""
    if v.transport == "udp":
        sides = (list(v.datagrams_c2s), list(v.datagrams_s2c))
        got = ([], [])
        order = [d for d, size in zip(v.pkt_dirs, v.pkt_sizes) if size]
        order += [d for i in range(max(map(len, sides))) for d in (0, 1)]
        for d in order:
            if len(got[d]) < len(sides[d]):
                got[d].append(sides[d][len(got[d])])
                yield FlowView.udp(list(got[0]), list(got[1]))
        return
    # TCP: the stream prefixes after each data packet, with the packet list seen so far
    # (a streaming engine knows each segment's size as it arrives: protobuf, tencentgame
    # and pathofexile read message ends from it)
    lc = ls = 0
    dirs, sizes = list(v.pkt_dirs), list(v.pkt_sizes)
    for k, (d, size) in enumerate(zip(dirs, sizes)):
        if not size:
            continue
        if d == 0:
            lc = min(len(v.payload_c2s), lc + size)
        else:
            ls = min(len(v.payload_s2c), ls + size)
        yield FlowView("tcp", v.payload_c2s[:lc], v.payload_s2c[:ls], (), (), dirs[:k + 1], sizes[:k + 1],
                       midstream=v.midstream)
    yield FlowView("tcp", v.payload_c2s, v.payload_s2c, (), (), dirs, sizes, midstream=v.midstream)


def captures():
    out = sorted(glob.glob(os.path.join(HERE, "..", "..", "pcaps", "**", "*.pcap*"), recursive=True))
    out += sorted(glob.glob(os.path.join(NDPI_PCAPS, "*.pcap*")))
    return [c for c in out if os.sep + "expected" + os.sep not in c]


def reader_flows(cap):
    """The TCP/UDP flows of a capture as FlowReader gives them (a damaged capture: the
    flows read before the damage)."""
    out = []
    try:
        for f in flows_mod.FlowReader(cap):
            if f.transport in ("tcp", "udp"):
                out.append(f)
    except Exception:
        pass
    return out


# Known differences, found when this test moved from a test-only dpkt flow builder to
# the product's reader (which splits this fuzz capture's flows differently): a RADIUS
# request alone matches, the responses that follow do not pair with it, so the whole
# flow is NO while a FlowSession keeps its first match.  The probe is compiled code
# (radius.pxi); fix it there, then empty this list.
KNOWN = {("fuzz-2020-02-16-11740.pcap", ("10.12.64.30", 29200, "198.226.25.53", 1812), None, "radius"),
         ("fuzz-2020-02-16-11740.pcap", ("10.12.64.30", 29200, "198.226.25.62", 1812), None, "radius"),
         ("fuzz-2020-02-16-11740.pcap", ("10.12.64.30", 29200, "198.226.25.53", 1813), None, "radius")}


@pytest.mark.skipif(not captures(), reason="no captures available")
def test_replayed_flows_end_with_the_whole_flow_label():
    eng = Engine()
    differ, flows = [], 0
    for cap in captures():
        for view in reader_flows(cap):
            tup = (view.client, view.client_port, view.server, view.server_port)
            whole = eng.classify(view).protocol
            session, label = FlowSession(), None
            view = snapshot(view)            # the contract's view, with its mid-stream bits
            if view is None:
                continue
            for part in replay(view):
                label = eng.classify(part, session)
            if label is None:
                continue
            flows += 1
            if label.protocol != whole:
                differ.append((os.path.basename(cap), tup, whole, label.protocol))
    # The corpus alone has ~400 flows; with ../shared/ndpi-dev there are thousands.
    assert flows > (500 if os.path.isdir(NDPI_PCAPS) else 300)
    assert set(differ) <= KNOWN, sorted(set(differ) - KNOWN)
