"""`portlens audit`: the policy file, each kind of violation with the entry it breaks,
and the exit codes a CI or cron job relies on."""
import json
import os

import pytest

from clirun import portlens

from classifier.audit import check, load_policy
from classifier.ports import ConfigError
from pcapgen import eth_wrap, ipv4, tcp_conversation, udp, write_pcap
from refdata import CORPUS_DIR, ROOT

CORPUS = os.path.join(CORPUS_DIR, "corpus")
SSH_ON_443 = os.path.join(CORPUS, "mismatch-ssh-on-443.pcap")

POLICY = '''
[policy]
name = "test"

[[allow]]
name = "web"
port = "443/tcp"
protocols = ["tls", "http2", "quic"]

[[allow]]
name = "dns"
port = ["53/udp", "53/tcp"]
protocols = ["dns"]
servers = ["10.0.0.53"]

[[allow]]
name = "high"
port = "49152-65535/udp"
protocols = "any"

[[allow]]
name = "ping"
port = "icmp"
'''


def run(*args):
    return portlens(*args, timeout=120)


@pytest.fixture
def policy_file(tmp_path):
    p = tmp_path / "approved.toml"
    p.write_text(POLICY)
    return p


@pytest.fixture
def policy(policy_file):
    return load_policy(str(policy_file))


def rec(port, transport="tcp", protocol="tls", server="10.0.0.2", client="10.0.0.1", payload=(10, 10)):
    return {"capture": "c.pcap", "transport": transport, "server_port": port, "client_port": 40000,
            "server": server, "client": client, "protocol": protocol, "source": "dpi",
            "payload": {"c2s": payload[0], "s2c": payload[1]}}


def test_permitted_flows(policy):
    assert check(policy, rec(443, protocol="tls")) is None
    assert check(policy, rec(443, protocol="http2")) is None
    assert check(policy, rec(53, "udp", "dns", server="10.0.0.53")) is None
    assert check(policy, rec(50000, "udp", "wireguard")) is None            # "any" on a range
    assert check(policy, rec(50000, "udp", "unknown")) is None
    assert check(policy, rec(0, "icmp", "unknown")) is None                 # a portless entry
    assert check(policy, rec(443, protocol="unknown", payload=(0, 0))) is None   # nothing carried


def test_port_not_on_the_list(policy):
    v = check(policy, rec(23, protocol="telnet"))
    assert (v["violation"], v["message"], v["entries"]) == ("port", "no entry permits 23/tcp", [])
    assert check(policy, rec(49151, "udp", "dns"))["message"] == "no entry permits 49151/udp"
    assert check(policy, rec(0, "gre", "unknown"))["message"] == "no entry permits gre"


def test_approved_port_carrying_another_protocol(policy):
    v = check(policy, rec(443, protocol="ssh"))
    assert v["violation"] == "protocol"
    assert v["message"] == "443/tcp carries ssh; entry 'web' (line 5) permits http2, quic, tls"
    assert v["entries"] == [{"name": "web", "line": 5, "index": 1, "permits": ["http2", "quic", "tls"]}]


def test_address_scope(policy):
    v = check(policy, rec(53, "udp", "dns", server="8.8.8.8"))
    assert v["violation"] == "port"
    assert "between these addresses" in v["message"] and "entry 'dns' (line 10)" in v["message"]


def test_unidentified_payload(policy, tmp_path):
    v = check(policy, rec(443, protocol="unknown"))
    assert v["violation"] == "unidentified" and "443/tcp carries an unidentified payload" in v["message"]
    relaxed = tmp_path / "relaxed.toml"
    relaxed.write_text(POLICY.replace('name = "test"', 'name = "test"\nunidentified = "allow"'))
    assert check(load_policy(str(relaxed)), rec(443, protocol="unknown")) is None


def test_protocols_compare_exactly(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[[allow]]\nport = "80/tcp"\nprotocols = ["http"]\n')
    pol = load_policy(str(p))
    assert check(pol, rec(80, protocol="http")) is None
    v = check(pol, rec(80, protocol="http-proxy"))
    assert v["violation"] == "protocol" and "entry 1 (line 1)" in v["message"]


@pytest.mark.parametrize("text,message", [
    ('[[allow]]\nport = "443/tcp"\nprotocols = ["tls"\n', "not valid TOML"),
    ('[[allow]]\nport = "443/tcp"\nprotocols = ["tls"]\n\n[[allow]]\nname = "x"\nport = "22/tcp"\nprotocols = ["shh"]\n',
     "[[allow]] entry 2 (line 5, 'x'): unknown protocol 'shh'"),
    ('[[allow]]\nport = "443"\nprotocols = ["tls"]\n', "names no transport"),
    ('[[allow]]\nport = "443/tcp"\n', "missing 'protocols'"),
    ('[[allow]]\nport = "443/tcp"\nprotocols = ["any", "tls"]\n', "cannot be combined"),
    ('[[allow]]\nport = "443/tcp"\nprotocols = ["tls"]\nservers = ["10.0.0.300"]\n', "not an address or network"),
    ('[[allow]]\nport = "443/tcp"\nprotocols = ["tls"]\naction = "deny"\n', "unknown key 'action'"),
    ('[[allow]]\nport = "70000/tcp"\nprotocols = ["tls"]\n', "out of range"),
    ('[policy]\nunidentified = "maybe"\n[[allow]]\nport = "443/tcp"\nprotocols = ["tls"]\n', "unidentified must be"),
    ('[policy]\nname = "empty"\n', "no [[allow]] entries"),
    ('[[deny]]\nport = "23/tcp"\n', "unknown top-level key 'deny'"),
])
def test_bad_policy_is_one_clear_error(tmp_path, text, message):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_policy(str(p))
    assert str(e.value).startswith(str(p) + ":") and message in str(e.value), str(e.value)


def test_shipped_example_policy_loads():
    pol = load_policy(os.path.join(ROOT, "examples", "approved.toml"))
    assert len(pol.entries) >= 5


# -- the command -------------------------------------------------------------------------

def test_exit_1_and_the_violation_named(policy_file):
    res = run("audit", "--policy", str(policy_file), SSH_ON_443)
    assert res.returncode == 1, res.stderr
    out = res.stdout.decode()
    assert "443/tcp carries ssh; entry 'web' (line 5) permits http2, quic, tls" in out
    err = res.stderr.decode()
    assert "1 violation (1 protocol)" in err and "1 flows in 1 capture" in err


def test_jsonl_violations(policy_file):
    res = run("audit", "--policy", str(policy_file), SSH_ON_443, os.path.join(CORPUS, "mismatch-dns-on-80udp.pcap"),
              "-f", "jsonl", "-q")
    assert res.returncode == 1 and res.stderr == b""
    vs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert [(v["violation"], v["server_port"], v["protocol"]) for v in vs] == [("protocol", 443, "ssh"),
                                                                               ("port", 80, "dns")]
    assert vs[1]["message"] == "no entry permits 80/udp" and vs[0]["entries"][0]["name"] == "web"


def test_exit_0_when_clean(tmp_path):
    p = tmp_path / "ok.toml"
    p.write_text('[[allow]]\nname = "ssh anywhere"\nport = "443/tcp"\nprotocols = ["ssh"]\n')
    res = run("audit", "--policy", str(p), SSH_ON_443)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().strip() == "(no violations)" and "0 violations" in res.stderr.decode()


def test_exit_2_on_a_bad_policy(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[[allow]]\nport = "443/tcp"\nprotocols = tls\n')
    res = run("audit", "--policy", str(p), SSH_ON_443)
    assert res.returncode == 2 and res.stdout == b""
    err = res.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"portlens: error: {p}: not valid TOML") and "line 3" in err[0]
    assert run("audit", SSH_ON_443).returncode == 2                        # --policy is required
    assert run("audit", "--policy", str(tmp_path / "absent.toml"), SSH_ON_443).returncode == 2


def test_exit_3_on_an_unreadable_capture(policy_file, tmp_path):
    res = run("audit", "--policy", str(policy_file), str(tmp_path / "absent.pcap"), SSH_ON_443)
    assert res.returncode == 3
    assert "absent.pcap: no such file" in res.stderr.decode()
    assert "443/tcp carries ssh" in res.stdout.decode()                    # the readable one still checked


def test_empty_flows_and_scans(policy_file, tmp_path):
    # A SYN scan of 23/tcp: port violations; a silent UDP probe to 443/udp... is on no entry either.
    frames = [(1.0, ipv4("10.0.0.1", "10.0.0.2", udp(5000, 53, b"")))]
    frames += [(2.0 + i, l3) for i, (_, l3) in enumerate(tcp_conversation(sport=23)[:1])]
    p = tmp_path / "scan.pcap"
    write_pcap(p, eth_wrap(frames))
    res = run("audit", "--policy", str(policy_file), str(p), "-f", "jsonl", "-q")
    vs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert res.returncode == 1
    assert sorted(v["message"] for v in vs) == ["no entry permits 23/tcp",
                                                "no entry permits 53/udp between these addresses "
                                                "(entry 'dns' (line 10) covers 53/udp for other addresses)"]
