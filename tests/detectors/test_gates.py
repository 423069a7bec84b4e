"""Every detector's gate (base.Gate) is only a necessary condition of its own probe.

A gate lets the engine's batch path skip a probe on datagrams that cannot be its
protocol, without a Python call (a flood of random datagrams asks ~20 probes per
flow otherwise).  It must never change a label.  Checked three ways:

- each gated probe alone, on every UDP flow of the captures under pcaps/ (and
  ../shared/ndpi-dev when present) and on mutations of them: where the gate refuses,
  the probe, given the view its budget cuts, does not match;
- the same on random datagrams (hypothesis), aimed at the gates' own bytes;
- the whole engine, with and without gates, labels every capture's flows the same.
"""
from __future__ import annotations

import importlib
import os
import sys

import pytest
from hypothesis import given, settings, strategies as st

from classifier.detectors import base
from classifier.detectors._fast import FlowView
from classifier.detectors.engine import Engine, classify_batch, default_engine
from classifier.flows import FlowReader
from fixtures import FIXTURES
from thorough import examples

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from refdata import CORPUS_DIR, NDPI_PCAPS, capture_files  # noqa: E402

ENGINE = default_engine()
# Hypothesis examples: 40 mutated matches per gated detector (~60 of them) by default,
# 120 in the thorough run (PORTLENS_TESTS=thorough, .ci/run's second step;
# tests/thorough.py); 300 random inputs (1,000 thorough), each given to every gate.
MUTATED_EXAMPLES = examples(40, 120)
RANDOM_EXAMPLES = examples(300, 1000)
GATED = [(i, s) for i, s in enumerate(ENGINE.specs) if s.gate is not None and "udp" in s.transports]


def _view(dgc, dgs):
    dirs, sizes = [], []
    for d, dg in ((0, dgc), (1, dgs)):
        for x in dg:
            dirs.append(d)
            sizes.append(len(x))
    return FlowView("udp", b"".join(dgc), b"".join(dgs), list(dgc), list(dgs), dirs, sizes)


def _probe_matches(spec, dgc, dgs) -> bool:
    view = _view(dgc, dgs)
    shape = (len(view.payload_c2s), len(view.payload_s2c), len(dgc), len(dgs))
    cut = ENGINE._core.budget(view, spec.max_bytes, spec.max_packets, shape)
    return spec.probe(cut, {}).outcome == base.Outcome.MATCH


def _check(i, spec, dgc, dgs):
    if ENGINE._core.gate_refuses(i, list(dgc), list(dgs)):
        assert not _probe_matches(spec, dgc, dgs), \
            f"{spec.name}: the gate refuses a flow its probe matches: {dgc!r} {dgs!r}"
        return True
    return False


def _udp_flows(paths):
    for path in paths:
        try:
            reader = FlowReader(path)
            for f in reader:
                if f.transport == "udp" and (f.datagrams_c2s or f.datagrams_s2c):
                    yield path, [bytes(d) for d in f.datagrams_c2s], [bytes(d) for d in f.datagrams_s2c]
        except Exception:           # a damaged capture: the flows read before it count
            continue


_CORPUS = None


def corpus_flows():
    """The UDP flows of pcaps/, and of ../shared/ndpi-dev when it is here (IKE, GTP and
    others have captures only there)."""
    global _CORPUS
    if _CORPUS is None:
        paths = capture_files(CORPUS_DIR)
        if os.path.isdir(NDPI_PCAPS):
            paths += capture_files(NDPI_PCAPS)
        _CORPUS = list(_udp_flows(paths))
    return _CORPUS


def _alternatives(spec):
    return spec.gate if isinstance(spec.gate, tuple) else (spec.gate,)


def test_gates_are_declared_on_probes_that_have_udp():
    assert GATED, "no detector declares a gate"
    for _i, spec in GATED:
        for g in _alternatives(spec):
            assert isinstance(g, base.Gate), spec.name
            assert g.units or g.min_len or g.bytes or g.forms, f"{spec.name}: an empty gate"


def test_gate_validation():
    with pytest.raises(ValueError):
        base.Gate(min_len=4, bytes=((4, 0xff, 0, 0),))       # offset past min_len
    with pytest.raises(ValueError):
        base.Gate(units=3)
    with pytest.raises(ValueError):
        base.Gate(min_len=2, bytes=((0, 0x1ff, 0, 0),))
    with pytest.raises(ValueError):
        base.Gate(c2s_only=True, lone=True)
    with pytest.raises(ValueError):
        base.Gate(min_len=4, length=(2, 4, 0))                # the field past min_len
    with pytest.raises(ValueError):
        base.Gate(min_len=8, length=(0, 3, 0))                # 1, 2 or 4 bytes
    with pytest.raises(ValueError):
        base.Gate(prefix=True, min_len=4)                     # a prefix has no minimum
    with pytest.raises(ValueError):
        base.Gate(prefix=True, bytes=((64, 0xff, 0, 0),))
    base.Gate(prefix=True, bytes=((8, 0xff, 0, 0),))          # past min_len: fine with prefix


def test_forms_are_chosen_per_datagram():
    """hsrp's gate has three forms (version 1, version 2's two TLVs): each direction's
    datagram must fit one of them, not necessarily the same one."""
    i, spec = next((i, s) for i, s in GATED if s.name == "hsrp")
    refuses = ENGINE._core.gate_refuses
    v1 = bytes([0, 0, 16, 3, 10, 100, 7, 0]) + bytes(12)
    v2 = bytes([2, 4, 0, 0, 0, 0])
    assert not refuses(i, [v1], []) and not refuses(i, [v2], []) and not refuses(i, [v1], [v2])
    assert refuses(i, [bytes([0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42])], [])     # a STUN request
    assert refuses(i, [v1], [bytes([2, 3, 0, 0, 0, 0])])                       # a TLV of 3 bytes
    with pytest.raises(ValueError):
        base.Gate(min_len=2, forms=(((2, 0xff, 0, 0),),))                    # past min_len
    with pytest.raises(ValueError):
        base.Gate(min_len=2, forms=(((0, 0xff, 0, 0),),) * 5)                # 4 forms at most


def test_prefix_and_whole_gates():
    """trdp's gate (whole, prefix): a datagram shorter than a checked offset passes
    that check (a prefix of the header, on which the probe waits); one the byte budget
    may have cut is not checked at all (the probe skips it)."""
    i, spec = next((i, s) for i, s in GATED if s.name == "trdp")
    refuses = ENGINE._core.gate_refuses
    assert refuses(i, [bytes(8)], [])                              # version 0 at byte 4
    assert not refuses(i, [bytes(4)], [])                          # a prefix: byte 4 not there yet
    assert not refuses(i, [bytes(4) + b"\x01\x00P"], [])            # version 1, "P" at 6
    assert refuses(i, [bytes(4) + b"\x01\x00X"], [])
    assert not refuses(i, [bytes(spec.max_bytes)], [])             # perhaps cut: not checked
    assert refuses(i, [bytes(spec.max_bytes - 1)], [])


def test_alternatives_refuse_only_together():
    """A gate of two alternatives lets through what either one lets through; a length
    field is compared with the datagram's length."""
    i, spec = next((i, s) for i, s in GATED if s.name == "gtp")
    v1 = bytes([0x32, 0xff, 0, 4]) + bytes(4) + bytes(4)          # GTPv1: length 4 after 8 bytes
    v2 = bytes([0x48, 0x20, 0, 8]) + bytes(8)                     # GTPv2: length 8 after 4 bytes
    refuses = ENGINE._core.gate_refuses
    assert not refuses(i, [v1], []) and not refuses(i, [v2], [])
    assert refuses(i, [v1 + b"x"], [])                            # the length no longer fits
    assert refuses(i, [bytes([0x52]) + v1[1:]], [])               # version 2 flags, v1 length
    assert not refuses(i, [v1 + b"x", v2], [])                    # not a lone datagram


@pytest.mark.parametrize("i,spec", GATED, ids=[s.name for _, s in GATED])
def test_gate_never_refuses_a_corpus_match(i, spec):
    """On every UDP flow of the committed captures, and on each flow cut to its first
    datagram of either side (the lone-datagram rule), a refusal means no match."""
    refused = 0
    for _path, dgc, dgs in corpus_flows():
        for c, s in ((dgc, dgs), (dgc[:1], []), ([], dgs[:1]), (dgc[:1], dgs[:1])):
            if c or s:
                refused += _check(i, spec, c, s)
    assert refused, f"{spec.name}: the gate refused nothing on the corpus"


_MATCHING = {}


def _fixtures(spec) -> list:
    """The shared fixtures and every FX / FX_* of the protocol's own test module."""
    fxs = list(FIXTURES)
    try:
        own = importlib.import_module("test_" + spec.name.replace("-", "_"))
        fxs += [v for k, v in vars(own).items() if (k == "FX" or k.startswith("FX_")) and hasattr(v, "view")]
    except ImportError:
        pass
    return fxs


def matching_flows(spec):
    """The corpus flows and fixtures of spec's protocol that its probe matches, computed
    once per detector (not once per hypothesis example: the probe over every UDP flow of
    the corpus is the expensive part)."""
    if spec.name in _MATCHING:
        return _MATCHING[spec.name]
    flows = [(c, s) for _p, c, s in corpus_flows() if _probe_matches(spec, c, s)]
    # and the protocol's fixtures (smallchat and ether-s-bus have no capture here: their
    # fixtures are the flows)
    flows += [(list(fx.view.datagrams_c2s), list(fx.view.datagrams_s2c)) for fx in _fixtures(spec)
              if fx.view.transport == "udp" and fx.view.datagrams_c2s is not None
              and _probe_matches(spec, list(fx.view.datagrams_c2s), list(fx.view.datagrams_s2c))]
    _MATCHING[spec.name] = flows
    return flows


@pytest.mark.parametrize("i,spec", GATED, ids=[s.name for _, s in GATED])
@settings(max_examples=MUTATED_EXAMPLES, deadline=None)
@given(data=st.data())
def test_gate_on_mutated_matches(i, spec, data):
    """A matching corpus flow with one of the gate's bytes changed, cut short, or with
    datagrams dropped: a refusal still means no match."""
    flows = matching_flows(spec)
    assert flows, f"no capture or fixture flow of {spec.name} matches its probe"
    c, s = data.draw(st.sampled_from(flows))
    c, s = [bytearray(x) for x in c], [bytearray(x) for x in s]
    for _ in range(data.draw(st.integers(1, 3))):
        side = data.draw(st.sampled_from([x for x in (c, s) if x] or [c]))
        if not side:
            break
        k = data.draw(st.integers(0, len(side) - 1))
        what = data.draw(st.sampled_from(["byte", "cut", "drop"]))
        if what == "byte" and side[k]:
            offs = [o for g in _alternatives(spec) for o, *_ in g.bytes if o < len(side[k])]
            offs += [o for g in _alternatives(spec) if g.length for o in range(g.length[0], g.length[0] + g.length[1])
                     if o < len(side[k])]
            offs = offs or [0]
            o = data.draw(st.sampled_from(offs + [data.draw(st.integers(0, len(side[k]) - 1))]))
            side[k][o] = data.draw(st.integers(0, 255))
        elif what == "cut":
            side[k] = side[k][:data.draw(st.integers(0, len(side[k])))]
        else:
            del side[k]
    _check(i, spec, [bytes(x) for x in c], [bytes(x) for x in s])


@settings(max_examples=RANDOM_EXAMPLES, deadline=None)
@given(c=st.lists(st.binary(max_size=64), max_size=3), s=st.lists(st.binary(max_size=64), max_size=3))
def test_gates_on_random_datagrams(c, s):
    """Every gate on each random flow: a refusal means no match. (One hypothesis input
    for all the gates: its cost, ~1 ms, is paid once, not once per gate.)"""
    for i, spec in GATED:
        _check(i, spec, c, s)


def _same_labels(paths):
    on, off = Engine(), Engine(gates=False)
    n = 0
    for path in paths:
        try:
            batches = list(FlowReader(path).batches())
        except Exception:
            continue
        for b in batches:
            la, lb = classify_batch(b, on), classify_batch(b, off)
            for x, y in zip(la, lb):
                ka = None if x is None else (x.protocol, x.confidence, x.source, x.metadata, x.conflicts)
                kb = None if y is None else (y.protocol, y.confidence, y.source, y.metadata, y.conflicts)
                assert ka == kb, f"{path}: gates change a label: {ka} / {kb}"
                n += 1
    return n


def test_engine_labels_the_same_with_and_without_gates():
    assert _same_labels(capture_files(CORPUS_DIR)) > 500


@pytest.mark.skipif(not os.path.isdir(NDPI_PCAPS), reason="../shared/ndpi-dev is absent (a user's clone has none)")
def test_engine_labels_the_same_with_and_without_gates_ndpi():
    assert _same_labels(capture_files(NDPI_PCAPS)) > 1000


# -- the compiled _dgram helpers give the answers of their Python reference ------------

from classifier.detectors import _dgram  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(c=st.lists(st.binary(max_size=40), max_size=4), s=st.lists(st.binary(max_size=40), max_size=4),
       budget=st.sampled_from([0, 1, 16, 40, 64, 2048, 8192]),
       minimum=st.integers(0, 24), head=st.one_of(st.none(), st.binary(max_size=4)),
       first=st.one_of(st.none(), st.frozensets(st.integers(0, 255), max_size=8)))
def test_compiled_dgram_helpers_equal_their_reference(c, s, budget, minimum, head, first):
    view = _view(c, s)
    units = _dgram.whole(view, budget)
    assert units == _dgram.whole_py(view, budget)
    assert _dgram.too_short(units, minimum, head, first) == _dgram.too_short_py(units, minimum, head, first)
    assert _dgram.too_short(units, minimum, first=first) == _dgram.too_short_py(units, minimum, first=first)


# -- TCP gates (spec.tcp_gate): each direction's stream from its start is the unit ------

GATED_TCP = [(i, s) for i, s in enumerate(ENGINE.specs) if s.tcp_gate is not None]


def _tcp_view(c: bytes, s: bytes):
    dirs, sizes = [], []
    for d, x in ((0, c), (1, s)):
        if x:
            dirs.append(d)
            sizes.append(len(x))
    return FlowView("tcp", c, s, (), (), dirs, sizes)


def _tcp_probe_matches(spec, c: bytes, s: bytes) -> bool:
    view = _tcp_view(c, s)
    shape = (len(c), len(s), 1 if c else 0, 1 if s else 0)
    cut = ENGINE._core.budget(view, spec.max_bytes, spec.max_packets, shape)
    return spec.probe(cut, {}).outcome == base.Outcome.MATCH


def _tcp_check(i, spec, c: bytes, s: bytes) -> bool:
    if ENGINE._core.tcp_gate_refuses(i, c, s):
        assert not _tcp_probe_matches(spec, c, s), \
            f"{spec.name}: the tcp_gate refuses a flow its probe matches: {c[:64]!r} {s[:64]!r}"
        return True
    return False


_TCP = None


def tcp_flows():
    """(client bytes, server bytes) of the TCP flows of pcaps/ and ../shared/ndpi-dev."""
    global _TCP
    if _TCP is None:
        paths = capture_files(CORPUS_DIR)
        if os.path.isdir(NDPI_PCAPS):
            paths += capture_files(NDPI_PCAPS)
        _TCP = []
        for path in paths:
            try:
                for f in FlowReader(path):
                    if f.transport == "tcp" and (f.payload_c2s or f.payload_s2c):
                        _TCP.append((bytes(f.payload_c2s), bytes(f.payload_s2c)))
            except Exception:       # a damaged capture: the flows read before it count
                continue
    return _TCP


def test_tcp_gate_validation():
    with pytest.raises(ValueError):
        base.DetectorSpec("x", ("tcp",), None, tcp_gate=base.Gate(units=1))
    with pytest.raises(ValueError):
        base.DetectorSpec("x", ("tcp",), None, tcp_gate=base.Gate(whole=True, min_len=1))


@pytest.mark.parametrize("i,spec", GATED_TCP, ids=[s.name for _, s in GATED_TCP])
def test_tcp_gate_never_refuses_a_corpus_match(i, spec):
    """On every TCP flow of the captures, whole and with one side only, a refusal
    means no match; and the gate refuses something."""
    refused = 0
    for c, s in tcp_flows():
        for cc, ss in ((c, s), (c, b""), (b"", s)):
            if cc or ss:
                refused += _tcp_check(i, spec, cc, ss)
    assert refused, f"{spec.name}: the tcp_gate refused nothing on the corpus"


_TCP_MATCHING = {}


def tcp_matching_flows(spec):
    """The TCP flows (captures, the protocol's fixtures) that spec's probe matches, once
    per detector rather than once per hypothesis example."""
    if spec.name in _TCP_MATCHING:
        return _TCP_MATCHING[spec.name]
    flows = [(c, s) for c, s in tcp_flows() if _tcp_probe_matches(spec, c, s)]
    flows += [(bytes(fx.view.payload_c2s), bytes(fx.view.payload_s2c)) for fx in _fixtures(spec)
              if fx.view.transport == "tcp"
              and _tcp_probe_matches(spec, bytes(fx.view.payload_c2s), bytes(fx.view.payload_s2c))]
    _TCP_MATCHING[spec.name] = flows
    return flows


@pytest.mark.parametrize("i,spec", GATED_TCP, ids=[s.name for _, s in GATED_TCP])
@settings(max_examples=MUTATED_EXAMPLES, deadline=None)
@given(data=st.data())
def test_tcp_gate_on_mutated_matches(i, spec, data):
    """A matching flow (capture or the protocol's fixtures) with one of the gate's bytes
    changed, cut short, or a side dropped: a refusal still means no match."""
    flows = tcp_matching_flows(spec)
    assert flows, f"no capture or fixture flow of {spec.name} matches its probe"
    c, s = data.draw(st.sampled_from(flows))
    sides = [bytearray(c), bytearray(s)]
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.sampled_from([j for j in (0, 1) if sides[j]] or [0]))
        x = sides[k]
        what = data.draw(st.sampled_from(["byte", "cut", "drop"]))
        if what == "byte" and x:
            offs = [o for g in _alternatives_tcp(spec) for o, *_ in g.bytes if o < len(x)] or [0]
            o = data.draw(st.sampled_from(offs + [data.draw(st.integers(0, len(x) - 1))]))
            x[o] = data.draw(st.integers(0, 255))
        elif what == "cut":
            del x[data.draw(st.integers(0, len(x))):]
        else:
            del x[:]
    _tcp_check(i, spec, bytes(sides[0]), bytes(sides[1]))


def _alternatives_tcp(spec):
    return spec.tcp_gate if isinstance(spec.tcp_gate, tuple) else (spec.tcp_gate,)


@settings(max_examples=RANDOM_EXAMPLES, deadline=None)
@given(c=st.binary(max_size=64), s=st.binary(max_size=64))
def test_tcp_gates_on_random_streams(c, s):
    """Every TCP gate on each random pair of streams (as for the datagram gates)."""
    for i, spec in GATED_TCP:
        _tcp_check(i, spec, c, s)


def test_s2c_only_tcp_gate():
    """mysql's tcp_gate reads the server's greeting alone: no server bytes, no match;
    the client's bytes are free."""
    i, spec = next((i, s) for i, s in GATED_TCP if s.name == "mysql")
    refuses = ENGINE._core.tcp_gate_refuses
    greeting = b"\x4a\x00\x00\x00\x0a8.0.36\x00" + bytes(64)
    assert not refuses(i, b"", greeting) and not refuses(i, b"\x16\x03\x01", greeting)
    assert not refuses(i, b"", b"\x17\x00\x00\x00\xff\x15\x04Host")          # an ERR packet
    assert refuses(i, b"anything", b"")
    assert refuses(i, b"", b"\x17\x03\x03\x00\x20" + bytes(32))              # TLS, not packet 0
    with pytest.raises(ValueError):
        base.Gate(c2s_only=True, s2c_only=True)
