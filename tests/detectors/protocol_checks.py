"""The checks every protocol's fixture test makes on its own fixture (its module's FX),
written once: the fixture is named through the whole engine with its metadata, and fed
in growing fragments it is never refused and ends named (tests/detectors/test_*.py call
these; tools/new_protocol.py's template does)."""
from __future__ import annotations

from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine, FlowSession


def check_positive(fx, name: str) -> None:
    """The engine names the fixture `name`, with the fixture's metadata."""
    label = Engine().classify(fx.view)
    assert label.protocol == name, (label.protocol, label.pending, label.errors)
    for key, value in fx.meta.items():
        assert label.metadata.get(key) == value, key


def check_fragmented(fx, spec) -> None:
    """Fed in growing fragments (test_detectors.growing_views), the probe never says NO
    and the engine's session ends with the whole fixture's protocol."""
    from test_detectors import growing_views
    session, label = FlowSession(), None
    engine = Engine()
    for view in growing_views(fx):
        assert spec.probe(view, {}).outcome != Outcome.NO_MATCH, view
        label = engine.classify(view, session)
    assert label is not None and label.protocol == spec.name


def check_claimed_alone(fx, spec) -> None:
    """No other detector claims the fixture."""
    from classifier.detectors import detector_list
    for other in detector_list.SPECS:
        if other.probe and other.name != spec.name and fx.view.transport in other.transports:
            assert other.probe(fx.view, {}).outcome != Outcome.MATCH, other.name


def check_claims_no_other(spec) -> None:
    """The detector claims none of the fixtures (fixtures.FIXTURES) of its transports:
    one test per protocol, looping over the ~100 fixtures (they were one test item each,
    ~7,000 items of per-item overhead in all); the message names every fixture claimed
    and the one a probe raised on."""
    from fixtures import FIXTURES
    claimed = []
    for fx in FIXTURES:
        if fx.view.transport not in spec.transports:
            continue
        try:
            outcome = spec.probe(fx.view, {}).outcome
        except Exception as e:
            raise AssertionError(f"{spec.name}'s probe raised on fixture {fx.id}: {e!r}") from e
        if outcome == Outcome.MATCH:
            claimed.append(fx.id)
    assert not claimed, f"{spec.name} claims other protocols' fixtures: {claimed}"


def check_truncated(fx, spec) -> None:
    """The fixture's own cut view (fx.trunc), or else its first 3 bytes (of the first
    datagram for UDP) on the side that speaks first, is NEED_MORE."""
    from classifier.detectors.flowview import FlowView
    if fx.trunc is not None:
        assert spec.probe(fx.trunc, {}).outcome == Outcome.NEED_MORE
        return
    v = fx.view
    if v.transport == "udp":
        first = (v.datagrams_c2s if fx.first == "c" else v.datagrams_s2c)[0][:3]
        assert first, "fill in the fixture"
        view = FlowView.udp([first]) if fx.first == "c" else FlowView.udp([], [first])
    else:
        first = (v.payload_c2s if fx.first == "c" else v.payload_s2c)[:3]
        assert first, "fill in the fixture"
        view = FlowView.tcp(first) if fx.first == "c" else FlowView.tcp(b"", first)
    assert spec.probe(view, {}).outcome == Outcome.NEED_MORE
