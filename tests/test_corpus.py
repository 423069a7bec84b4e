"""The labelled corpus (pcaps/corpus) agrees with itself and with the fast path.

- every manifest line names an existing capture, and every capture has lines;
- every labelled flow is one the fast path (classifier.flows.read_flows) finds;
- every flow in a capture (read independently with dpkt) has exactly one line;
- the manifest's schema, canonical names, ordering, size and coverage hold.

The fast-path test must fail, not skip, while classifier.flows does not exist: the
corpus is only useful once the fast path reads it.
"""

import json
import os
import re
import socket
from collections import Counter, defaultdict

import pytest

from classifier.protocols import NAMES

CORPUS = os.path.join(os.path.dirname(__file__), os.pardir, "pcaps", "corpus")
MANIFEST = os.path.join(CORPUS, "manifest.jsonl")

KEYS = ["capture", "protocol", "inner", "variant", "transport", "client", "client_port", "server",
        "server_port", "server_software", "server_version", "client_software", "port_mode", "how"]

# The project's canonical protocol names (classifier/protocols.py).  "unknown" marks
# flows that carry no protocol at all (TURN-relayed test patterns), kept so every
# captured flow is labelled.
CANONICAL = set(NAMES) | {"unknown"}
INNER = {None, "http", "http2", "http3"}

# The coverage list: each must have at least one capture.
REQUIRED = {
    "http", "http2", "tls", "quic", "dns", "ssh", "ftp", "ftp-data", "smtp", "imap", "pop3", "redis",
    "postgresql", "mysql", "mqtt", "amqp", "memcached", "ldap", "ntp", "snmp", "sip", "rtp", "rtsp",
    "stun", "smb", "tftp", "telnet", "irc", "xmpp", "git", "rsync", "syslog", "rdp", "vnc", "openvpn",
    "wireguard", "bittorrent", "modbus", "coap", "zookeeper",
}

# Mismatch demos: a protocol on another protocol's well-known port.
MISMATCH = {
    "mismatch-http-on-53tcp.pcap": ("http", "tcp", 53),
    "mismatch-ssh-on-443.pcap": ("ssh", "tcp", 443),
    "mismatch-dns-on-80udp.pcap": ("dns", "udp", 80),
    "mismatch-tls-on-22.pcap": ("tls", "tcp", 22),
    "mismatch-smtp-on-8080.pcap": ("smtp", "tcp", 8080),
    "mismatch-redis-on-443.pcap": ("redis", "tcp", 443),
}


def _lines():
    with open(MANIFEST) as fh:
        return [json.loads(l) for l in fh if l.strip()]


LINES = _lines() if os.path.exists(MANIFEST) else []
CAPTURES = sorted(f for f in os.listdir(CORPUS) if f.endswith(".pcap")) if os.path.isdir(CORPUS) else []


def _key(rec):
    return (rec["transport"], rec["client"], rec["client_port"], rec["server"], rec["server_port"])


def _by_capture():
    out = defaultdict(list)
    for rec in LINES:
        out[rec["capture"]].append(rec)
    return out


def test_manifest_present():
    assert LINES, "pcaps/corpus/manifest.jsonl is missing or empty"
    assert CAPTURES, "no captures in pcaps/corpus"


def test_every_line_refers_to_an_existing_capture():
    missing = sorted({r["capture"] for r in LINES} - set(CAPTURES))
    assert not missing, missing


def test_every_capture_has_manifest_lines():
    unlabelled = sorted(set(CAPTURES) - {r["capture"] for r in LINES})
    assert not unlabelled, unlabelled


def test_fast_path_finds_every_labelled_flow():
    from classifier.flows import read_flows   # must exist: failing here is the point

    missing = []
    for capture, recs in sorted(_by_capture().items()):
        found = {(f.transport, f.client, f.client_port, f.server, f.server_port)
                 for f in read_flows(os.path.join(CORPUS, capture))}
        missing += [(capture, _key(r)) for r in recs if _key(r) not in found]
    assert not missing, f"{len(missing)} labelled flow(s) not found by the fast path: {missing[:10]}"


def _dpkt_flows(path):
    """Independent reference reading: client = SYN sender (TCP) / first sender (UDP)."""
    dpkt = pytest.importorskip("dpkt")
    flows, closed = [], set()
    seen = {}
    with open(path, "rb") as fh:
        for _, buf in dpkt.pcap.Reader(fh):
            ip = dpkt.ethernet.Ethernet(buf).data
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                continue
            l4 = ip.data
            if not isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                continue
            fam = socket.AF_INET if len(ip.src) == 4 else socket.AF_INET6
            src = (socket.inet_ntop(fam, ip.src), l4.sport)
            dst = (socket.inet_ntop(fam, ip.dst), l4.dport)
            tcp = isinstance(l4, dpkt.tcp.TCP)
            pair = ("tcp" if tcp else "udp", *sorted([src, dst]))
            syn = tcp and l4.flags & dpkt.tcp.TH_SYN and not l4.flags & dpkt.tcp.TH_ACK
            if pair not in seen or (syn and pair in closed):
                seen[pair] = ("tcp" if tcp else "udp", src[0], src[1], dst[0], dst[1])
                closed.discard(pair)
                flows.append(seen[pair])
            if tcp and l4.flags & (dpkt.tcp.TH_FIN | dpkt.tcp.TH_RST):
                closed.add(pair)
    return flows


def test_every_captured_flow_has_exactly_one_line():
    by_cap = _by_capture()
    problems = []
    for capture in CAPTURES:
        got = Counter(_key(r) for r in by_cap.get(capture, []))
        want = Counter(_dpkt_flows(os.path.join(CORPUS, capture)))
        if got != want:
            problems.append((capture, dict(want - got), dict(got - want)))
    assert not problems, problems[:5]


def test_manifest_schema():
    for rec in LINES:
        assert list(rec) == KEYS, rec
        assert rec["protocol"] in CANONICAL, rec
        assert rec["inner"] in INNER, rec
        assert rec["variant"] is None or (isinstance(rec["variant"], str) and rec["variant"]), rec
        assert rec["transport"] in ("tcp", "udp"), rec
        for side in ("client", "server"):
            socket.inet_pton(socket.AF_INET6 if ":" in rec[side] else socket.AF_INET, rec[side])
            assert isinstance(rec[side + "_port"], int) and 0 < rec[side + "_port"] < 65536, rec
        for k in ("server_software", "server_version", "client_software", "how"):
            assert isinstance(rec[k], str) and rec[k], (k, rec)
        assert rec["port_mode"] in ("random", "iana", "mismatch-demo"), rec
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-\d+\.pcap|mismatch-[a-z0-9-]+\.pcap", rec["capture"]), rec
        assert "/tmp/" not in rec["how"], "how must not leak per-run temp paths"


def test_capture_names_match_their_protocol():
    # <protocol>-<n>.pcap: the name's protocol labels at least one flow in it.
    for capture, recs in _by_capture().items():
        if capture.startswith("mismatch-"):
            continue
        proto = capture.rsplit("-", 1)[0]
        assert proto in {r["protocol"] for r in recs}, capture


def test_manifest_order_is_deterministic():
    def natural(name):
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]
    caps = [r["capture"] for r in LINES]
    assert caps == sorted(caps, key=natural)


def test_corpus_size_at_most_40_mb():
    total = sum(os.path.getsize(os.path.join(CORPUS, f)) for f in os.listdir(CORPUS))
    assert total <= 40 * 1024 * 1024, f"{total / 2**20:.1f} MiB"


def test_coverage():
    protocols = {r["protocol"] for r in LINES} - {"unknown"}
    assert len(protocols) >= 35, sorted(protocols)
    assert not REQUIRED - protocols, sorted(REQUIRED - protocols)


def test_several_exchanges_per_protocol():
    caps = defaultdict(set)
    for r in LINES:
        caps[r["protocol"]].add(r["capture"])
    thin = {p: len(c) for p, c in caps.items() if len(c) < 2 and p != "unknown"}
    assert not thin, thin


def test_both_port_modes_present():
    modes = Counter(r["port_mode"] for r in LINES)
    assert modes["random"] and modes["iana"] and modes["mismatch-demo"], modes


def test_mismatch_demos():
    by_cap = _by_capture()
    for name, (proto, transport, port) in MISMATCH.items():
        recs = by_cap.get(name)
        assert recs, f"missing mismatch demo {name}"
        assert all(r["port_mode"] == "mismatch-demo" for r in recs), name
        assert any(r["protocol"] == proto and r["transport"] == transport and r["server_port"] == port
                   for r in recs), name
