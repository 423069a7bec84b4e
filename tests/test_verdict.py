"""Verdicts: the server port's implication beside the observed protocol, on hand-made
records, the mismatch demos, and the whole corpus."""
import json
import os
import subprocess
import sys

import pytest

from classifier.ports import load_registry
from classifier.verdict import VERDICTS, annotate
from refdata import CORPUS_DIR

CORPUS = os.path.join(CORPUS_DIR, "corpus")


def verdict(port, transport, protocol, registry=None, **extra):
    rec = {"server_port": port, "transport": transport, "protocol": protocol, **extra}
    annotate([rec], registry)
    return rec


@pytest.mark.parametrize("port,transport,protocol,expected,reason", [
    (443, "tcp", "tls", "match", "443/tcp implies tls; payload is tls"),
    (80, "tcp", "http2", "match", "80/tcp implies http; payload is http2"),       # cleartext h2c is HTTP
    (8080, "tcp", "http-proxy", "match", "8080/tcp implies http; payload is http-proxy"),
    (443, "udp", "quic", "match", "443/udp implies quic; payload is quic"),
    (443, "udp", "dtls", "mismatch", "443/udp implies quic; payload is dtls"),
    (5353, "udp", "mdns", "match", None),
    (5353, "udp", "dns", "match", None),                                           # one wire format
    (53, "udp", "mdns", "match", None),
    (53, "udp", "netbios-ns", "mismatch", "53/udp implies dns; payload is netbios-ns"),
    (137, "udp", "netbios-ns", "match", None),
    (139, "tcp", "smb", "match", None),
    (445, "tcp", "netbios-ssn", "match", None),
    (3478, "udp", "stun", "match", None),
    (3478, "tcp", "stun", "match", None),
    (5004, "udp", "rtcp", "match", None),                                          # RFC 5761 mux
    (20, "tcp", "ftp-data", "match", None),
    (50123, "tcp", "ftp-data", "unregistered-port", None),                        # PASV: dynamic port
    (993, "tcp", "tls", "match", "993/tcp implies tls; payload is tls"),
    (993, "tcp", "imap", "mismatch", "993/tcp implies tls; payload is imap"),     # implicit TLS port
    (143, "tcp", "imap", "match", None),
    (4412, "udp", "smallchat", "match", None),
    (631, "tcp", "tls", "match", "631/tcp implies http or tls; payload is tls"),
    (2181, "tcp", "zookeeper", "mismatch", "2181/tcp implies eforward; payload is zookeeper"),
    (53, "udp", "http", "mismatch", "53/udp implies dns; payload is http"),
    (51820, "udp", "wireguard", "unregistered-port",
     "51820/udp is dynamic (49152-65535, never assigned); payload is wireguard"),
    (6881, "tcp", "bittorrent", "unregistered-port", "6881/tcp is unassigned; payload is bittorrent"),
    (1023, "tcp", "ssh", "unregistered-port", "1023/tcp is reserved by IANA, not registered to a service; "
                                               "payload is ssh"),
    (443, "tcp", "unknown", "unidentified", "443/tcp implies tls; payload not identified"),
    (51820, "udp", "unknown", "unidentified", None),
])
def test_verdicts(port, transport, protocol, expected, reason):
    rec = verdict(port, transport, protocol)
    assert rec["verdict"] == expected, rec
    if reason:
        assert rec["verdict_reason"] == reason


def test_fields_filled():
    rec = verdict(53, "udp", "http")
    assert (rec["port_protocol"], rec["port_service"], rec["port_class"]) == ("dns", "domain", "system")
    rec = verdict(3478, "udp", "stun")
    assert (rec["port_protocol"], rec["port_service"]) == ("stun", "stun,stun-behavior,turn")
    rec = verdict(853, "udp", "quic")
    assert (rec["port_protocol"], rec["verdict"]) == ("dtls|quic", "match")
    rec = verdict(49152, "udp", "dns")
    assert (rec["port_protocol"], rec["port_service"], rec["port_class"]) == (None, None, "dynamic")


def test_portless_transports_have_no_verdict():
    rec = verdict(0, "icmp", "unknown")
    assert rec["verdict"] is None and rec["port_protocol"] is None and rec["port_class"] is None
    assert rec["verdict_reason"].startswith("icmp has no ports")


def test_verdict_reads_only_port_transport_protocol_and_whether_it_is_a_guess():
    # Same triple, different everything else (detector source, addresses, metadata): same verdict.
    a = verdict(443, "tcp", "ssh", source="dpi", client="10.0.0.1", server="10.0.0.2", metadata={"x": 1})
    b = verdict(443, "tcp", "ssh", source="dpi+ml", client="192.0.2.9", server="198.51.100.1", client_port=443)
    keys = ("port_protocol", "port_service", "port_class", "verdict", "verdict_reason")
    assert [a[k] for k in keys] == [b[k] for k in keys]
    assert a["verdict"] == "mismatch"
    # the model's guess alone: the same verdict, its own reason
    c = verdict(443, "tcp", "ssh", source="ml", confidence=0.9, client="192.0.2.9")
    assert [a[k] for k in keys[:4]] == [c[k] for k in keys[:4]] and c["verdict_reason"] != a["verdict_reason"]


def test_a_batch_over_every_port_gives_each_record_its_own_verdict():
    # A flood's table of ports per (transport, protocol) turns from a dict into a
    # _PortTable once it holds 4,096 ports (classifier/_records.pyx annotate_known),
    # which keeps templates and writes each reason afresh: every record, before and
    # after the switch, mixed transports and protocols, a port of None and an
    # out-of-range one, gets the verdict it gets alone, field for field.
    registry = load_registry()
    keys = ("port_protocol", "port_service", "port_class", "verdict", "verdict_reason")
    recs = []
    for port in list(range(0, 65536, 3)) + [53, 443, 22, 80, 5353, 65535, 0, 1, 49152, 1024]:
        recs.append({"server_port": port, "transport": "udp", "protocol": "unknown"})
        if port % 7 == 0:
            recs.append({"server_port": port, "transport": "tcp", "protocol": "ssh"})
            recs.append({"server_port": port, "transport": "udp", "protocol": "dns"})
    recs += [{"server_port": None, "transport": "icmp", "protocol": "unknown"},
             {"server_port": 70000, "transport": "tcp", "protocol": "unknown"},
             {"server_port": 0, "transport": "icmp", "protocol": "unknown"}]
    again = [dict(r) for r in recs]
    annotate(recs, registry)
    assert type(registry.verdict_cache[("udp", "unknown")]).__name__ == "_PortTable"
    assert isinstance(registry.verdict_cache[("tcp", "ssh")], dict)     # 3,121 ports: still a dict
    annotate(again, registry)                 # every port now from the table
    fresh = load_registry()
    for rec, rec2 in zip(recs, again):
        assert [rec[k] for k in keys] == [rec2[k] for k in keys], rec
    for rec in recs:
        alone = verdict(rec["server_port"], rec["transport"], rec["protocol"], fresh)
        assert [rec[k] for k in keys] == [alone[k] for k in keys], rec
    # A registry pickles with its table (as it did with the dict), and the copy goes on
    # judging: every port, those judged before the copy and the rest.
    import pickle
    copy = pickle.loads(pickle.dumps(registry))
    assert type(copy.verdict_cache[("udp", "unknown")]).__name__ == "_PortTable"
    every = [{"server_port": p, "transport": "udp", "protocol": "unknown"} for p in range(65536)]
    annotate(every, copy)
    for rec in every[::11] + every[1::3]:
        alone = verdict(rec["server_port"], "udp", "unknown", fresh)
        assert [rec[k] for k in keys] == [alone[k] for k in keys], rec


def test_site_overrides_change_the_verdict(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[[port]]\nport = "3128/tcp"\nprotocol = "http-proxy"\nservice = "squid"\n'
                    '[[port]]\nport = "2181/tcp"\nprotocol = "zookeeper"\n')
    reg = load_registry([str(site)])
    assert verdict(3128, "tcp", "http-proxy")["verdict"] == "mismatch"       # IANA: ndl-aas
    rec = verdict(3128, "tcp", "http-proxy", reg)
    assert (rec["verdict"], rec["port_service"]) == ("match", "squid")
    assert verdict(2181, "tcp", "zookeeper", reg)["verdict"] == "match"


# -- captures -------------------------------------------------------------------------

def _analyze(paths, registry=None):
    from classifier.flows import FlowReader
    from classifier.pipeline import Analyzer
    analyzer = Analyzer()
    out = []
    for p in paths:
        for batch in FlowReader(p).batches():
            recs = analyzer.label(batch)
            annotate(recs, registry)
            out.extend(recs)
    return out


DEMOS = {
    "mismatch-http-on-53tcp.pcap": "53/tcp implies dns; payload is http",
    "mismatch-ssh-on-443.pcap": "443/tcp implies tls; payload is ssh",
    "mismatch-dns-on-80udp.pcap": "80/udp implies http; payload is dns",
    "mismatch-tls-on-22.pcap": "22/tcp implies ssh; payload is tls",
    "mismatch-smtp-on-8080.pcap": "8080/tcp implies http; payload is smtp",
    "mismatch-redis-on-443.pcap": "443/tcp implies tls; payload is redis",
}


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_mismatch_demos(name):
    recs = _analyze([os.path.join(CORPUS, name)])
    assert len(recs) == 1
    assert recs[0]["verdict"] == "mismatch" and recs[0]["verdict_reason"] == DEMOS[name]


def _manifest():
    with open(os.path.join(CORPUS, "manifest.jsonl")) as fh:
        return [json.loads(line) for line in fh]


# Flows of the "iana" port mode whose port is not the protocol's IANA registration:
# the generator used the de facto port, and the verdict says so.
NOT_ON_THEIR_IANA_PORT = {
    # (protocol, server port, transport): expected verdict
    ("http", 8000, "tcp"): "mismatch",          # python http.server's default; IANA 8000 is irdmi
    ("zookeeper", 2181, "tcp"): "mismatch",     # IANA 2181 is eforward
    ("bittorrent", 6881, "tcp"): "unregistered-port",
    ("bittorrent", 6881, "udp"): "unregistered-port",
    ("wireguard", 51820, "udp"): "unregistered-port",
    ("ajp", 8009, "tcp"): "mismatch",           # Tomcat's AJP connector; IANA 8009 is nvme-disc
    ("fastcgi", 9000, "tcp"): "mismatch",       # php-fpm's default; IANA 9000 is cslistener
    ("netflow", 2055, "udp"): "mismatch",       # Cisco's export default; IANA 2055 is iop
    ("dnscrypt", 443, "udp"): "mismatch",       # DNSCrypt resolvers answer on the https port
    ("dnscrypt", 443, "tcp"): "mismatch",
    ("nats", 4222, "tcp"): "mismatch",          # the NATS default; IANA 4200-4299 is vrml-multi-use
    ("kafka", 9092, "tcp"): "mismatch",         # Kafka's default; IANA 9092 is XmlIpcRegSvc
    ("oracle", 1521, "tcp"): "mismatch",        # the listener's default; IANA 1521 is ncube-lm (TNS's is ttc, 2483)
    ("zeromq", 5555, "tcp"): "mismatch",        # the ZeroMQ guide's; IANA 5555 is personal-agent
    ("mikrotik", 5678, "udp"): "mismatch",      # MNDP's port; IANA 5678 is rrac
}


def test_whole_corpus_verdicts():
    """Every corpus flow: match on its IANA port, mismatch on the demos, and the verdict
    the registry dictates everywhere else (random ports, data channels, de facto ports)."""
    from classifier.ports import default_registry
    reg = default_registry()
    truth = {}
    for m in _manifest():
        truth[(m["capture"], m["transport"], m["client_port"], m["server_port"])] = m
    # End to end, as a user runs it: `portlens analyze` over the whole corpus.
    paths = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith(".pcap"))
    res = subprocess.run([sys.executable, "-m", "classifier", "analyze", *paths, "-f", "jsonl", "-q"],
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    recs = [json.loads(line) for line in res.stdout.decode().splitlines()]
    assert len(recs) == len(truth)
    seen = {v: 0 for v in VERDICTS}
    for r in recs:
        m = truth[(os.path.basename(r["capture"]), r["transport"], r["client_port"], r["server_port"])]
        v = r["verdict"]
        seen[v] += 1
        key = (r["protocol"], r["server_port"], r["transport"])
        info = reg.lookup(r["server_port"], r["transport"])
        if r["protocol"] == "unknown":
            assert v == "unidentified", r
        elif m["port_mode"] == "mismatch-demo":
            assert v == "mismatch", r
        elif key in NOT_ON_THEIR_IANA_PORT:
            assert v == NOT_ON_THEIR_IANA_PORT[key], r
        elif m["port_mode"] == "iana" and info.registered:
            # The server listened on the protocol's IANA port: the port agrees.
            assert v == "match", r
        elif not info.registered:
            # Random high ports, FTP passive data ports, TFTP transfer ports.
            assert v == "unregistered-port", r
        else:
            # A random port that happens to be registered to some other service.
            assert v == "mismatch" and r["port_protocol"] not in (None, r["protocol"]), r
    assert seen["match"] >= 170 and seen["mismatch"] >= 6


# --- labels the model gave alone (source "ml") --------------------------------------

def test_a_mismatch_resting_on_a_model_guess_says_so():
    dpi = verdict(443, "tcp", "http", source="dpi", confidence=1.0)
    ml = verdict(443, "tcp", "http", source="ml", confidence=0.62)
    assert dpi["verdict"] == ml["verdict"] == "mismatch"
    assert dpi["verdict_reason"] == "443/tcp implies tls; payload is http"
    assert ml["verdict_reason"] == "443/tcp implies tls; the model guesses the payload is http (p 0.62), no detector matched"
    # a guess that matches the port says it was a guess too
    m = verdict(443, "tcp", "tls", source="ml", confidence=0.9)
    assert m["verdict"] == "match" and m["verdict_reason"].endswith("(the model's guess tls, p 0.90, no detector matched)")
    # dpi+ml is the detectors' label: judged as theirs
    assert verdict(443, "tcp", "http", source="dpi+ml", confidence=1.0)["verdict_reason"] == dpi["verdict_reason"]


def test_min_confidence_drops_guesses_below_it_from_the_verdict():
    def judged(p, floor, source="ml"):
        rec = {"server_port": 443, "transport": "tcp", "protocol": "http", "source": source, "confidence": p}
        annotate([rec], None, min_confidence=floor)
        return rec
    low = judged(0.55, 0.8)
    assert low["verdict"] == "unidentified" and low["protocol"] == "http"         # the guess stays as a label
    assert low["verdict_reason"] == ("443/tcp implies tls; payload not identified "
                                     "(the model's guess http, p 0.55, is below --min-confidence 0.80)")
    assert judged(0.85, 0.8)["verdict"] == "mismatch"
    assert judged(0.55, 0.0)["verdict"] == "mismatch"                             # the default judges all
    # the detectors' labels are never filtered, whatever their confidence
    assert judged(0.55, 0.8, source="dpi")["verdict"] == "mismatch"
    # the cache keeps the floors apart
    assert judged(0.55, 0.8)["verdict"] == "unidentified" and judged(0.55, 0.5)["verdict"] == "mismatch"


def test_min_confidence_on_the_command_line(tmp_path):
    from classifier.ml.cli import _probability
    import argparse
    assert _probability("0.8") == 0.8
    for bad in ("1.5", "-0.1", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            _probability(bad)
    cap = os.path.join(CORPUS, sorted(f for f in os.listdir(CORPUS) if f.endswith(".pcap"))[0])
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    r = subprocess.run([sys.executable, "-m", "classifier", "analyze", cap, "-f", "jsonl", "--min-confidence", "1"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        if rec["source"] == "ml":
            assert rec["verdict"] != "mismatch" and "below --min-confidence 1.00" in rec["verdict_reason"]
    r = subprocess.run([sys.executable, "-m", "classifier", "analyze", cap, "--min-confidence", "2"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "not a probability" in r.stderr
