"""Per-detector behaviour on real fixtures (fixtures.py): positive, truncated ->
NEED_MORE, fragmented delivery -> same outcome as whole delivery."""
from __future__ import annotations

import pytest

from classifier.detectors import detector_list
from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine, FlowSession
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES

SPECS = {s.name: s for s in detector_list.SPECS}
ENGINE = Engine()
IDS = [f.id for f in FIXTURES]


def test_every_payload_protocol_has_a_fixture():
    # ftp-data has no probe: it is reached through the engine's expectations.  A protocol
    # added with tools/new_protocol.py keeps its fixture in its own test_<module>.py.
    import os
    from classifier.protocols import BY_NAME
    here = os.path.dirname(os.path.abspath(__file__))
    own = {s.name for s in detector_list.SPECS
           if os.path.exists(os.path.join(here, f"test_{BY_NAME[s.name].module_name}.py"))}
    missing = {s.name for s in detector_list.SPECS if s.probe} - {f.proto for f in FIXTURES} - own
    assert not missing


@pytest.mark.parametrize("fx", FIXTURES, ids=IDS)
def test_positive_through_engine(fx):
    label = ENGINE.classify(fx.view)
    assert label.protocol == fx.proto, (label.protocol, label.pending, label.errors)
    assert label.confidence >= fx.conf_min
    assert label.source == "dpi"
    for key, value in fx.meta.items():
        assert label.metadata.get(key) == value, key


@pytest.mark.parametrize("fx", FIXTURES, ids=IDS)
def test_positive_probe_alone(fx):
    r = SPECS[fx.proto].probe(fx.view, {})
    assert r.outcome == Outcome.MATCH
    assert r.protocol == fx.proto
    assert 0.0 < r.confidence <= SPECS[fx.proto].max_confidence


def truncated(fx) -> FlowView:
    """The first 3 bytes of the first speaker: a valid prefix of every protocol here."""
    if fx.trunc is not None:
        return fx.trunc
    v = fx.view
    if v.transport == "udp":
        first = (v.datagrams_c2s if fx.first == "c" else v.datagrams_s2c)[0][:3]
        return FlowView.udp([first]) if fx.first == "c" else FlowView.udp([], [first])
    if fx.first == "c":
        return FlowView.tcp(v.payload_c2s[:3])
    return FlowView.tcp(b"", v.payload_s2c[:3])


@pytest.mark.parametrize("fx", FIXTURES, ids=IDS)
def test_truncated_needs_more(fx):
    r = SPECS[fx.proto].probe(truncated(fx), {})
    assert r.outcome == Outcome.NEED_MORE


def _steps(n: int):
    """Prefix lengths: every byte at first, then coarser (keeps the test fast)."""
    return sorted(set(list(range(1, min(n, 48))) + list(range(48, n, 29)) + [n]))


def growing_views(fx):
    """The flow as it arrives: the first speaker's bytes, then the other side's;
    for UDP one datagram at a time, alternating sides."""
    v = fx.view
    if v.transport == "udp":
        a, b = (v.datagrams_c2s, v.datagrams_s2c) if fx.first == "c" else (v.datagrams_s2c, v.datagrams_c2s)
        order = []
        for i in range(max(len(a), len(b))):
            if i < len(a):
                order.append((fx.first, a[i]))
            if i < len(b):
                order.append(("s" if fx.first == "c" else "c", b[i]))
        c, s = [], []
        for side, dg in order:
            (c if side == "c" else s).append(dg)
            yield FlowView.udp(list(c), list(s))
        return
    first, second = (v.payload_c2s, v.payload_s2c) if fx.first == "c" else (v.payload_s2c, v.payload_c2s)
    for k in _steps(len(first)) if first else []:
        yield (FlowView.tcp(first[:k]) if fx.first == "c" else FlowView.tcp(b"", first[:k]))
    for k in _steps(len(second)) if second else []:
        yield (FlowView.tcp(first, second[:k]) if fx.first == "c" else FlowView.tcp(second[:k], first))


@pytest.mark.parametrize("fx", FIXTURES, ids=IDS)
def test_fragmented_delivery_gives_the_whole_outcome(fx):
    whole = ENGINE.classify(fx.view)
    session = FlowSession()
    label = None
    probe = SPECS[fx.proto].probe
    for view in growing_views(fx):
        # A valid prefix must never make the detector give up on its own protocol.
        assert probe(view, {}).outcome != Outcome.NO_MATCH, view
        label = ENGINE.classify(view, session)
    assert label is not None and label.protocol == whole.protocol == fx.proto


UDP_FIXTURES = [f for f in FIXTURES if f.view.transport == "udp"]


@pytest.mark.parametrize("fx", UDP_FIXTURES, ids=[f.id for f in UDP_FIXTURES])
def test_an_empty_datagram_first_changes_nothing(fx, monkeypatch):
    """An empty UDP datagram ahead of the real ones (a keepalive, or an evasion) must
    neither make a probe raise (bittorrent and openvpn did: IndexError, so the flow
    became "unknown") nor change the label."""
    monkeypatch.delenv("PORTLENS_STRICT_PROBES", raising=False)
    v = fx.view
    c = [b""] + list(v.datagrams_c2s) if v.datagrams_c2s else []
    s = [b""] + list(v.datagrams_s2c) if v.datagrams_s2c else []
    label = Engine().classify(FlowView.udp(c, s))
    assert label.errors == [], label.errors
    if fx.proto in ("bittorrent", "openvpn"):
        # the two probes of the issue: they skip empty datagrams, so the label stays
        assert label.protocol == fx.proto, (label.protocol, label.pending)
