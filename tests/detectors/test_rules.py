"""Site rules (--rules FILE.toml): house protocols as byte patterns, with the detector
contract (payload only; MATCH / NEED_MORE / NO_MATCH; the engine's conflict rule with
built-ins first), and one-line errors for a bad file."""
from __future__ import annotations

import json
import os

import pytest

from clirun import portlens

from classifier.detectors.base import Outcome
from classifier.detectors.engine import Engine
from classifier.detectors.flowview import FlowView
from classifier.detectors.detector_list import SPECS
from classifier.detectors.rules import engine_with_rules, load_rules, rule_specs
from classifier.ports import ConfigError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
EXAMPLE = os.path.join(ROOT, "examples", "house-protocols.toml")
CAPTURE = os.path.join(ROOT, "pcaps", "corpus", "site-rules", "house-protocols.pcap")


def rules_file(tmp_path, text, name="site.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def run(*args):
    return portlens(*args, timeout=120)


def test_example_rules_label_their_capture():
    res = run("analyze", CAPTURE, "--rules", EXAMPLE, "-f", "jsonl", "-q", "--ml", "off")
    assert res.returncode == 0, res.stderr
    recs = {r["transport"]: r for r in map(json.loads, res.stdout.decode().splitlines())}
    assert (recs["tcp"]["protocol"], recs["tcp"]["source"], recs["tcp"]["confidence"]) == ("ledger-sync", "dpi", 0.95)
    assert recs["tcp"]["metadata"] == {"version": "2", "node": "edge-07"}
    assert (recs["udp"]["protocol"], recs["udp"]["confidence"]) == ("acme-telemetry", 0.9)
    assert recs["udp"]["metadata"] == {"site": "plant-3"}


def test_without_rules_nothing_claims_the_house_protocols():
    res = run("analyze", CAPTURE, "-f", "jsonl", "-q")
    assert res.returncode == 0, res.stderr
    assert {json.loads(x)["protocol"] for x in res.stdout.decode().splitlines()} == {"unknown"}


def test_rules_never_read_ports():
    # The same bytes on any port: the same label (the rule cannot see the port).
    eng = engine_with_rules([EXAMPLE])
    c2s = b"LSYN/2 HELLO node=edge-07 build=4.1.9\r\n"
    s2c = b"LSYN/2 WELCOME session=5be1c0de\r\n"
    lab = eng.classify(FlowView.tcp(c2s, s2c))
    assert lab.protocol == "ledger-sync" and lab.metadata == {"version": "2", "node": "edge-07"}


def test_rule_outcomes_need_more_and_no_match(tmp_path):
    [rule] = load_rules(rules_file(tmp_path, """
[[rule]]
name = "acme-rpc"
direction = "c2s"
min_bytes = 10
  [[rule.match]]
  hex = "ac 3e"
  [[rule.match]]
  offset = 2
  literal = "RPC"
"""))
    probe = rule.probe
    assert probe(FlowView.tcp(b"\xac"), {}).outcome == Outcome.NEED_MORE       # a valid prefix
    assert probe(FlowView.tcp(b"\xac\x3eRP"), {}).outcome == Outcome.NEED_MORE
    assert probe(FlowView.tcp(b"\xac\x3eRPC1"), {}).outcome == Outcome.NEED_MORE  # below min_bytes
    assert probe(FlowView.tcp(b"\xac\x3eRPC1234567"), {}).protocol == "acme-rpc"
    assert probe(FlowView.tcp(b"\xac\x3fRPC1234567"), {}).outcome == Outcome.NO_MATCH
    assert probe(FlowView.tcp(b"", b"\xac\x3eRPC1234567"), {}).outcome == Outcome.NEED_MORE   # c2s silent yet
    assert rule.spec().prefilter.c2s == frozenset({0xAC})


def test_direction_any_takes_either_side(tmp_path):
    [rule] = load_rules(rules_file(tmp_path, """
[[rule]]
name = "beacon"
transport = ["tcp", "udp"]
  [[rule.match]]
  literal = "BCN1"
"""))
    assert rule.probe(FlowView.tcp(b"xxxx", b"BCN1 hello"), {}).protocol == "beacon"
    assert rule.probe(FlowView.udp([b"BCN1"], []), {}).protocol == "beacon"
    assert rule.probe(FlowView.tcp(b"xxxx", b"yyyy"), {}).outcome == Outcome.NO_MATCH


def test_priority_built_ins_win_a_tie_and_rules_cannot_rename_them(tmp_path):
    http_like = rules_file(tmp_path, """
[[rule]]
name = "intranet-web"
confidence = 1.0
  [[rule.match]]
  literal = "GET /"
""")
    eng = engine_with_rules([http_like])
    lab = eng.classify(FlowView.tcp(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"))
    assert lab.protocol == "http"
    # The rule sits after every built-in: http's certain match ends the probing first.
    assert "intranet-web" not in lab.tried
    # Alone (no built-in matches), the rule labels the flow.
    assert eng.classify(FlowView.tcp(b"GET /x", b"")).protocol == "intranet-web"
    # Between rules, the earlier one wins a tie.
    two = rules_file(tmp_path, """
[[rule]]
name = "first"
  [[rule.match]]
  literal = "ZZ"
[[rule]]
name = "second"
  [[rule.match]]
  literal = "ZZ"
""", "two.toml")
    assert engine_with_rules([two]).classify(FlowView.tcp(b"ZZ top")).protocol == "first"
    assert [s.name for s in Engine(list(SPECS) + rule_specs([two])).specs][-2:] == ["first", "second"]
    # Against a weaker built-in match (one mid-stream TLS record: tls at 0.75) a rule
    # wins only with a strictly higher confidence.
    record = b"\x17\x03\x03\x00\x05hello"
    for conf, want in ((0.9, "vpn-data"), (0.75, "tls"), (0.5, "tls")):
        path = rules_file(tmp_path, f'[[rule]]\nname = "vpn-data"\nconfidence = {conf}\n'
                                    '[[rule.match]]\nhex = "17 03 03"\n', f"c{conf}.toml")
        assert engine_with_rules([path]).classify(FlowView.tcp(record, b"")).protocol == want


@pytest.mark.parametrize("text,problem", [
    ('[[rule]]\nname = "http"\n[[rule.match]]\nliteral = "x"\n', "already taken"),
    ('[[rule]]\nname = "Bad Name"\n[[rule.match]]\nliteral = "x"\n', "name must be lowercase"),
    ('[[rule]]\nname = "a"\nport = 8080\n[[rule.match]]\nliteral = "x"\n', "payload bytes only"),
    ('[[rule]]\nname = "a"\n', "at least one pattern"),
    ('[[rule]]\nname = "a"\n[[rule.match]]\nhex = "zz"\n', "not hexadecimal"),
    ('[[rule]]\nname = "a"\n[[rule.match]]\nregex = "("\n', "does not compile"),
    ('[[rule]]\nname = "a"\n[[rule.match]]\nregex = ".*"\n', "matches empty input"),
    ('[[rule]]\nname = "a"\n[[rule.match]]\nliteral = "x"\nhex = "01"\n', "exactly one of"),
    ('[[rule]]\nname = "a"\nconfidence = 1.5\n[[rule.match]]\nliteral = "x"\n', "confidence"),
    ('[[rule]]\nname = "a"\ntransport = "sctp"\n[[rule.match]]\nliteral = "x"\n', "transport"),
    ('[[rule]]\nname = "a"\ndirection = "up"\n[[rule.match]]\nliteral = "x"\n', "direction"),
    ('[[rule]]\nname = "a"\nmax_bytes = 2\n[[rule.match]]\noffset = 4\nliteral = "x"\n', "below the 5 bytes"),
    ('[[rule]]\nname = "a"\n[[rule.match]]\nliteral = "x"\n[[rule]]\nname = "a"\n[[rule.match]]\nliteral = "y"\n',
     "already taken"),
    ('[rule]\nname = "a"\n', "[[rule]]"),
    ('rules = 1\n', "unknown top-level key"),
    ('[[rule\n', "not valid TOML"),
])
def test_bad_rules_are_one_line_naming_file_rule_and_problem(tmp_path, text, problem):
    path = rules_file(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        rule_specs([path])
    msg = str(e.value)
    assert msg.startswith(path + ":") and problem in msg and "\n" not in msg
    if text.startswith("[[rule]]"):
        assert "[[rule]] entry" in msg and "line " in msg


def test_cli_bad_rules_exit_2_before_any_output(tmp_path):
    bad = rules_file(tmp_path, '[[rule]]\nname = "acme"\n[[rule.match]]\nregex = "("\n')
    out = tmp_path / "out.jsonl"
    res = run("analyze", CAPTURE, "--rules", bad, "-f", "jsonl", "-o", str(out))
    assert res.returncode == 2 and not out.exists()
    err = res.stderr.decode().strip().splitlines()
    assert len(err) == 1 and bad in err[0] and "'acme'" in err[0] and "does not compile" in err[0]
    res = run("analyze", CAPTURE, "--rules", str(tmp_path / "missing.toml"))
    assert res.returncode == 2 and "no such file" in res.stderr.decode()


def test_library_analyzer_takes_rules():
    from classifier.flows import FlowReader
    from classifier.pipeline import Analyzer
    analyzer = Analyzer.from_options(ml="off", rules=[EXAMPLE])
    recs = [r for b in FlowReader(CAPTURE).batches() for r in analyzer.label(b)]
    assert sorted(r["protocol"] for r in recs) == ["acme-telemetry", "ledger-sync"]
