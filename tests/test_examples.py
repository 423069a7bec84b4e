"""The runnable examples in examples/, run as a user would run them, on bundled captures.

The Suricata eve.json the enrichment example reads is made here from the capture with
dpkt (an independent decoder) and an independent Community ID, so the test needs no
Suricata and checks portlens's Community ID against the spec's."""
import base64
import hashlib
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from datetime import datetime, timezone

import pytest

import classifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
CORPUS = os.path.join(ROOT, "pcaps", "corpus")
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_example(name, *args, stdin=None, timeout=120):
    res = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], input=stdin,
                         capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=timeout)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def community_id_v1(proto, src, dst, sport, dport):
    """Community ID v1, seed 0, written from the spec (corelight/community-id-spec)."""
    a, b = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport
    h = hashlib.sha1(b"\0\0" + a + b + bytes([proto, 0]) + struct.pack(">HH", sport, dport))
    return "1:" + base64.b64encode(h.digest()).decode()


def eve_flow_events(path):
    """A Suricata-style `flow` event per 5-tuple of a capture (oriented by its first
    packet, as Suricata does without a SYN), read with dpkt."""
    dpkt = pytest.importorskip("dpkt", reason="dpkt (a dev dependency) builds the eve.json fixture")
    seen = {}
    with open(path, "rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            ip = dpkt.ethernet.Ethernet(buf).data
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) or not isinstance(ip.data, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                continue
            fam = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
            src, dst = socket.inet_ntop(fam, ip.src), socket.inet_ntop(fam, ip.dst)
            l4 = ip.data
            proto = 6 if isinstance(l4, dpkt.tcp.TCP) else 17
            key = frozenset([(src, l4.sport), (dst, l4.dport)]), proto
            if key not in seen:
                seen[key] = {
                    "timestamp": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                    "flow_id": len(seen) + 1, "event_type": "flow", "src_ip": src, "src_port": l4.sport,
                    "dest_ip": dst, "dest_port": l4.dport, "proto": "TCP" if proto == 6 else "UDP",
                    "community_id": community_id_v1(proto, src, dst, l4.sport, l4.dport),
                    "flow": {"start": datetime.fromtimestamp(ts, timezone.utc).strftime(
                        "%Y-%m-%dT%H:%M:%S.%f+0000")},
                }
    return list(seen.values())


def test_eve_enrich_joins_every_flow_event_on_community_id(tmp_path):
    names = ["http-1.pcap", "dns-1.pcap", "tls-1.pcap", "ssh-1.pcap"]
    paths = [os.path.join(CORPUS, n) for n in names]
    events = [ev for p in paths for ev in eve_flow_events(p)]
    for i, ev in enumerate(events):
        ev["flow_id"] = i + 1
    stats = {"timestamp": "2026-01-01T00:00:00.000000+0000", "event_type": "stats", "stats": {"uptime": 1}}
    eve = tmp_path / "eve.json"
    eve.write_text("\n".join(json.dumps(e) for e in [stats] + events) + "\n")
    res = run_example("eve_enrich.py", *paths, "--eve", str(eve))
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert out[0] == stats                                  # no community_id: passed through
    assert len(out) == len(events) + 1
    by_tuple = {}
    for p in paths:
        for rec in classifier.analyze(p):
            by_tuple[frozenset([(rec["client"], rec["client_port"]), (rec["server"], rec["server_port"])])] = rec
    for ev in out[1:]:
        rec = by_tuple[frozenset([(ev["src_ip"], ev["src_port"]), (ev["dest_ip"], ev["dest_port"])])]
        assert ev["portlens"]["protocol"] == rec["protocol"], ev
        assert ev["portlens"]["verdict"] == rec["verdict"]
        assert {k: ev[k] for k in ("src_ip", "dest_port", "community_id")} == \
            {k: e[k] for e in events if e["flow_id"] == ev["flow_id"] for k in ("src_ip", "dest_port", "community_id")}
    assert {ev["portlens"]["protocol"] for ev in out[1:]} >= {"http", "dns", "tls", "ssh"}
    assert f"{len(events)} of {len(events) + 1} events joined" in res.stderr


@pytest.mark.parametrize("raw", [True, False], ids=["struct-source", "scapy-or-struct"])
def test_feed_packets_prints_what_analyze_gives(raw):
    path = os.path.join(CORPUS, "smtp-1.pcap")
    if not os.path.exists(path):
        path = os.path.join(CORPUS, "http-1.pcap")
    res = run_example("feed_packets.py", path, *(["--raw"] if raw else []))
    got = [json.loads(line) for line in res.stdout.splitlines()]
    want = json.loads(json.dumps(list(classifier.analyze(path)), default=str))
    key = lambda r: (r["ts_start"], r["client_port"], r["server_port"])   # noqa: E731
    assert sorted(got, key=key) == sorted(want, key=key)
    assert "packet source: struct" in res.stderr or not raw


def test_proxy_labels_the_http_it_relays():
    res = run_example("proxy_streams.py", "--demo", timeout=60)
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(lines) == 1
    flow = lines[0]
    assert (flow["protocol"], flow["source"], flow["capture"]) == ("http", "dpi", "proxy")
    assert flow["metadata"]["method"] == "GET" and flow["bytes_s2c"] > 0


@pytest.mark.skipif(shutil.which("suricata") is None, reason="Suricata is not installed (the test above needs none)")
def test_eve_enrich_on_real_suricata_output(tmp_path):
    names = ["http-1.pcap", "dns-1.pcap", "tls-1.pcap"]
    eve = tmp_path / "eve.json"
    with open(eve, "w") as out:
        for n in names:
            logdir = tmp_path / n
            logdir.mkdir()
            subprocess.run(["suricata", "-r", os.path.join(CORPUS, n), "-l", str(logdir), "-k", "none",
                            "--set", "outputs.1.eve-log.community-id=true"],
                           capture_output=True, timeout=120, check=True)
            out.write((logdir / "eve.json").read_text())
    res = run_example("eve_enrich.py", *[os.path.join(CORPUS, n) for n in names], "--eve", str(eve))
    events = [json.loads(line) for line in res.stdout.splitlines()]
    with_cid = [e for e in events if "community_id" in e]
    assert with_cid, "Suricata wrote no community_id: the eve-log setting did not apply"
    assert all("portlens" in e for e in with_cid)
    http = [e for e in with_cid if e["event_type"] == "http"]
    assert http and all(e["portlens"]["protocol"] == "http" for e in http)
    # every event carries the label analyze gives its flow; all three protocols joined
    want = {}
    for n in names:
        for rec in classifier.analyze(os.path.join(CORPUS, n)):
            want[frozenset([(rec["client"], rec["client_port"]), (rec["server"], rec["server_port"])])] = rec
    for e in with_cid:
        rec = want[frozenset([(e["src_ip"], e["src_port"]), (e["dest_ip"], e["dest_port"])])]
        assert e["portlens"]["protocol"] == rec["protocol"]
    assert {e["portlens"]["protocol"] for e in with_cid} == {"http", "dns", "tls"}
