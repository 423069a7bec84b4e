"""The engine's rules: registry, prefilter, budgets, exclusion, conflicts, early stop,
error isolation, expectations (ftp-data), and the payload-only contract."""
from __future__ import annotations

import ast
import os
import re

import pytest

from classifier.detectors import engine as E
from classifier.detectors import detector_list
from classifier.detectors.base import ANY, MORE, NO, DetectorSpec, Prefilter, claim
from classifier.detectors.engine import Engine, Expectations, FlowSession
from classifier.detectors.flowview import FlowView
from fixtures import FIXTURES

DET_DIR = os.path.dirname(detector_list.__file__)
ROOT = os.path.normpath(os.path.join(DET_DIR, "..", ".."))


# ----------------------------------------------------------------------- registry
def test_registry_has_sixty_unique_lowercase_protocols():
    names = [s.name for s in detector_list.SPECS]
    assert len(names) >= 60
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", n) for n in names)
    assert all(set(s.transports) <= {"tcp", "udp"} and s.transports for s in detector_list.SPECS)


# Every module has a row of the protocol table and the docs table is generated from
# it: tests/test_protocols.py.


# ------------------------------------------------------------------ payload only
FORBIDDEN = re.compile(r"^[sd]?port|_port$|^port_|addr|^(src|dst|sip|dip)(_|$)|(^|_)ip($|_|v)|"
                       r"ttl|(^|_)mac($|_)|tuple|endpoint", re.I)


def _detector_sources():
    for f in sorted(os.listdir(DET_DIR)):
        if f.endswith(".py") and f not in ("engine.py",):
            yield f, open(os.path.join(DET_DIR, f)).read()


@pytest.mark.parametrize("fname,src", list(_detector_sources()), ids=lambda x: x if x.endswith(".py") else "")
def test_detectors_read_no_endpoint_attribute(fname, src):
    # Detectors may only read the view's payload attributes; an attribute access such
    # as view.dport or flow.src_ip anywhere in a detector module is a defect.
    bad = [n.attr for n in ast.walk(ast.parse(src))
           if isinstance(n, ast.Attribute) and FORBIDDEN.search(n.attr)]
    assert bad == []


class StrictView:
    """Exposes exactly the contract's attributes; anything else raises."""
    ALLOWED = ("transport", "payload_c2s", "payload_s2c", "datagrams_c2s", "datagrams_s2c",
               "pkt_dirs", "pkt_sizes")

    def __init__(self, v):
        for a in self.ALLOWED:
            object.__setattr__(self, "_" + a, getattr(v, a))

    def __getattr__(self, name):
        if name.startswith("_") and name[1:] in self.ALLOWED:
            raise AttributeError(name)
        if name in self.ALLOWED:
            return object.__getattribute__(self, "_" + name)
        raise AssertionError(f"detector read forbidden attribute {name!r}")


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_classification_needs_only_the_contract_attributes(fx):
    label = Engine().classify(StrictView(fx.view))
    assert label.errors == []
    assert label.protocol == fx.proto


# ---------------------------------------------------------------------- prefilter
def test_prefilter_keeps_probes_per_flow_few():
    eng = Engine()
    tried = [len(eng.classify(fx.view).tried) for fx in FIXTURES]
    # 7.29 probes per fixture with 64 detectors; 8.05 with 152 (issue 14), once a
    # candidate that cannot beat the best match so far is skipped (ProbeLoop: its
    # max_confidence is not above the best confidence).  bench/probes.py measures the
    # same on whole captures.  8.51 with 179 (this session's merges: mikrotik, codmobile
    # and zug have no first-byte hint and rely on their gates, which this per-view path
    # does not apply); 8.63 with 182 (telegram's obfuscated transport opens with a
    # random byte: any TCP flow not yet named at 0.9 is offered to it).  The batch path
    # the product runs, with the gates, stayed level meanwhile (bench/probes.py: 6.11 ->
    # 6.17 on bench.pcap, 7.08 -> 6.99 on ndpi-dev).
    assert sum(tried) / len(tried) <= 8.7
    # The worst case is a UDP flow that mixes STUN (first bytes 0x00/0x01) with RTP and
    # RTCP (0x80/0x81) and is matched below 1.0 (rtp-muxed-stun-rtcp: rtp, 0.8, the
    # table's last rows): every UDP detector those first bytes admit is still probed,
    # among them the issue-14 protocols opening with 0x00/0x01 and the ones with no
    # first-byte hint at all (sd-rtn, photon, kcp: session, peer and conversation ids;
    # someip's plain datagrams: a service id; mikrotik: MNDP's header is a sequence
    # number).  ether-s-bus (0x00), someip and mikrotik (any byte on UDP) are gated: the
    # batch path refuses most such flows before a Python call.  zug (a length's high
    # byte, 0x00-0x0f), lolwildrift (a keepalive's 0x01) and codmobile (no hint: its key
    # may be in any of the first datagrams) add three to that flow, all three gated on the
    # batch path too; so is teamspeak, whose server-list announcement opens with 0x01.
    assert max(tried) <= 55


def test_prefilter_skips_detectors_whose_first_bytes_cannot_match():
    tried = Engine().classify(FlowView.tcp(b"SSH-2.0-x\r\n")).tried
    assert "ssh" in tried and "tls" not in tried and "smb" not in tried
    tried = Engine().classify(FlowView.tcp(bytes.fromhex("1603010005") + b"hello")).tried
    assert "tls" in tried and "ssh" not in tried and "http" not in tried


def test_no_payload_no_probe():
    label = Engine().classify(FlowView.tcp())
    assert label.protocol is None and label.tried == []
    assert Engine().classify(FlowView("icmp", b"\x08\x00")).tried == []


# ------------------------------------------------------------------------ helpers
def spec(name, fn, **kw):
    return DetectorSpec(name=name, transports=("tcp", "udp"), probe=fn, **kw)


# ------------------------------------------------------------------------ budgets
def test_byte_budget_is_enforced_by_the_engine():
    seen = []
    eng = Engine([spec("rec", lambda v, s: seen.append(len(v.payload_c2s)) or NO, max_bytes=10)])
    eng.classify(FlowView.tcp(b"x" * 100, b"y" * 5))
    assert seen == [10]


def test_packet_budget_cuts_at_the_packet_boundary():
    seen = []
    eng = Engine([spec("rec", lambda v, s: seen.append(v.payload_c2s) or NO,
                       max_bytes=4096, max_packets=2)])
    view = FlowView("tcp", b"aaabbbbcc", b"zz", (), (), (0, 1, 0, 0, 0), (3, 2, 4, 0, 2))
    eng.classify(view)
    assert seen == [b"aaabbbb"]            # two c2s data packets: 3 + 4 bytes


def test_udp_budget_keeps_the_first_datagrams():
    seen = []
    eng = Engine([spec("rec", lambda v, s: seen.append(list(v.datagrams_c2s)) or NO,
                       max_bytes=4096, max_packets=2)])
    eng.classify(FlowView.udp([b"a", b"b", b"c"]))
    assert seen == [[b"a", b"b"]]


# ---------------------------------------------------------------------- exclusion
def test_no_match_excludes_the_detector_for_the_rest_of_the_flow():
    calls = []
    eng = Engine([spec("never", lambda v, s: calls.append(1) or NO),
                  spec("later", lambda v, s: MORE if len(v.payload_c2s) < 4 else claim("later", 1.0))])
    session = FlowSession()
    assert eng.classify(FlowView.tcp(b"ab"), session).protocol is None
    assert eng.classify(FlowView.tcp(b"abcd"), session).protocol == "later"
    assert calls == [1]


def test_need_more_is_reported_as_pending():
    eng = Engine([spec("wait", lambda v, s: MORE)])
    assert eng.classify(FlowView.tcp(b"x")).pending == ["wait"]


# ---------------------------------------------------------------------- conflicts
def test_higher_confidence_wins_and_loser_is_recorded():
    eng = Engine([spec("a", lambda v, s: claim("a", 0.6)), spec("b", lambda v, s: claim("b", 0.9))])
    label = eng.classify(FlowView.tcp(b"x"))
    assert label.protocol == "b"
    assert label.conflicts == [{"protocol": "a", "confidence": 0.6}]


def test_tie_goes_to_the_earlier_more_specific_detector():
    eng = Engine([spec("specific", lambda v, s: claim("specific", 0.8)),
                  spec("generic", lambda v, s: claim("generic", 0.8))])
    label = eng.classify(FlowView.tcp(b"x"))
    assert label.protocol == "specific"
    assert label.conflicts == [{"protocol": "generic", "confidence": 0.8}]


def test_a_certain_match_stops_the_probing():
    calls = []
    eng = Engine([spec("sure", lambda v, s: claim("sure", 1.0)),
                  spec("after", lambda v, s: calls.append(1) or claim("after", 1.0))])
    assert eng.classify(FlowView.tcp(b"x")).protocol == "sure"
    assert calls == []


def test_stop_when_no_remaining_candidate_can_do_better():
    calls = []
    eng = Engine([spec("fair", lambda v, s: claim("fair", 0.8)),
                  spec("weak", lambda v, s: calls.append(1) or claim("weak", 0.7), max_confidence=0.7),
                  spec("weaker", lambda v, s: calls.append(2) or claim("weaker", 0.5), max_confidence=0.8)])
    assert eng.classify(FlowView.tcp(b"x")).protocol == "fair"
    assert calls == []
    eng = Engine([spec("fair", lambda v, s: claim("fair", 0.8)),
                  spec("strong", lambda v, s: calls.append(3) or claim("strong", 0.9))])
    assert eng.classify(FlowView.tcp(b"x")).protocol == "strong"
    assert calls == [3]


def test_stop_once_the_remaining_candidates_cannot_do_better_even_after_a_miss():
    """The stop is checked before every probe, not only after a match: a strong
    candidate that answered NO leaves weaker ones that cannot beat the match."""
    calls = []
    eng = Engine([spec("fair", lambda v, s: claim("fair", 0.9)),
                  spec("strong", lambda v, s: calls.append(1) or NO),
                  spec("weak", lambda v, s: calls.append(2) or claim("weak", 0.8), max_confidence=0.9)])
    label = eng.classify(FlowView.tcp(b"x"))
    assert label.protocol == "fair" and label.conflicts == []
    assert calls == [1] and label.tried == ["fair", "strong"]


def test_duplicate_names_are_rejected():
    with pytest.raises(ValueError):
        Engine([spec("a", lambda v, s: NO), spec("a", lambda v, s: NO)])


def test_a_raising_detector_is_isolated_and_reported(monkeypatch):
    monkeypatch.delenv("PORTLENS_STRICT_PROBES", raising=False)     # a normal run

    def boom(v, s):
        raise IndexError("bug")
    eng = Engine([spec("boom", boom), spec("ok", lambda v, s: claim("ok", 0.7))])
    label = eng.classify(FlowView.tcp(b"x"))
    assert label.protocol == "ok"
    assert label.errors and label.errors[0].startswith("boom: IndexError")


def test_prefilter_table_routes_by_first_byte():
    eng = Engine([spec("s", lambda v, s: claim("s", 0.9), prefilter=Prefilter(c2s=frozenset(b"S"))),
                  spec("x", lambda v, s: claim("x", 0.9), prefilter=Prefilter(s2c=frozenset(b"X")))])
    assert eng.classify(FlowView.tcp(b"S...")).tried == ["s"]
    # Hints apply to either direction's first byte (mid-stream captures swap sides).
    assert eng.classify(FlowView.tcp(b"X...")).tried == ["x"]
    assert eng.classify(FlowView.tcp(b"Q...")).tried == []


def test_prefilter_may_differ_per_transport():
    # ONC RPC style: a fixed first byte on TCP (a record mark), a random xid on UDP.
    eng = Engine([spec("rpc", lambda v, s: NO, prefilter=Prefilter(c2s=frozenset({0x80}), udp=ANY))])
    assert eng.classify(FlowView.tcp(b"\x80...")).tried == ["rpc"]
    assert eng.classify(FlowView.tcp(b"\x17...")).tried == []
    assert eng.classify(FlowView.udp([b"\x17..."])).tried == ["rpc"]


# -------------------------------------------------------------------- expectations
FTP_CTRL = FlowView.tcp(b"USER a\r\nPASS b\r\nPASV\r\nRETR f\r\n",
                        b"220 test FTP\r\n331 ok\r\n230 ok\r\n"
                        b"227 Entering Passive Mode (10,0,0,1,19,137).\r\n")


def expected(control, tup, lookups):
    """What classify_batch and the pipeline's FtpLinker do with a control flow: its
    label's announcements go into Expectations, then each later flow's tuple is looked
    up (the product's path through a capture: test_pipeline, test_goldens)."""
    label = Engine().classify(control)
    exp = Expectations()
    exp.learn(label, tup)
    return label, [exp.lookup(t) for t in lookups]


def test_ftp_data_is_labelled_through_the_announced_endpoint():
    label, found = expected(FTP_CTRL, ("10.0.0.2", 40000, "10.0.0.1", 21),
                            [("10.0.0.2", 40001, "10.0.0.1", 5001),     # 19*256+137
                             ("10.0.0.2", 40002, "10.0.0.1", 5002)])
    assert label.protocol == "ftp"
    assert label.metadata["expect"] == [{"via": "PASV", "host": "10.0.0.1", "port": 5001}]
    assert found == ["ftp-data", None]


def test_active_mode_port_command_and_nat_host():
    ctrl = FlowView.tcp(b"USER a\r\nPORT 192,168,0,9,4,1\r\n", b"220 FTP ready\r\n200 ok\r\n")
    # The server connects to the client's announced port; the announced private host
    # differs from the observed (NATed) one, so the control flow's addresses count too.
    _label, found = expected(ctrl, ("203.0.113.5", 50000, "198.51.100.7", 21),
                             [("198.51.100.7", 20, "203.0.113.5", 1025), ("198.51.100.7", 20, "203.0.113.5", 1026)])
    assert found == ["ftp-data", None]


def test_label_as_dict_is_json_ready():
    import json
    d = Engine().classify(FIXTURES[0].view).as_dict()
    assert json.loads(json.dumps(d))["protocol"] == FIXTURES[0].proto


def test_budget_view_without_cut_is_the_flow_itself():
    v = FlowView.tcp(b"abc", b"de")
    eng = E.default_engine()
    mb, mp = max((s.max_bytes, s.max_packets) for s in eng.specs)
    assert eng._core.budget(v, mb, mp, E._shape(v)) is v


def test_a_raising_detector_is_counted_for_the_summary(monkeypatch):
    monkeypatch.delenv("PORTLENS_STRICT_PROBES", raising=False)

    def boom(v, s):
        raise IndexError("bug")
    eng = Engine([spec("boom", boom), spec("ok", lambda v, s: claim("ok", 0.7))])
    for _ in range(3):
        eng.classify(FlowView.tcp(b"x"))
    errors = eng.take_errors()
    assert list(errors) == ["boom"] and errors["boom"][0] == 3
    assert errors["boom"][1].startswith("boom: IndexError: bug")
    assert eng.take_errors() == {}                  # taken: the next capture starts at 0


def test_a_raising_detector_fails_under_strict_mode(monkeypatch):
    """The test suite runs with PORTLENS_STRICT_PROBES set, so a probe bug fails the
    test that met it instead of turning into a silent "unknown"."""
    monkeypatch.setenv("PORTLENS_STRICT_PROBES", "1")

    def boom(v, s):
        raise IndexError("bug")
    eng = Engine([spec("boom", boom), spec("ok", lambda v, s: claim("ok", 0.7))])
    with pytest.raises(IndexError, match="bug"):
        eng.classify(FlowView.tcp(b"x"))
