"""`pcaps/generate --realistic` (pcaps/gen/realistic.py): a tiny generation across the
namespaces' 1500-byte impaired link, when this machine can make one (root, `ip netns`,
tcpdump, ethtool, nginx, curl); skipped otherwise.  The capture must hold Ethernet-sized
frames (never loopback's 64 KiB segments), the manifest's hashes must be the files', and
`portlens train --generated` must read the set back with the detectors' confirmation."""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from refdata import ROOT

dpkt = pytest.importorskip("dpkt")

PCAPS = os.path.join(ROOT, "pcaps")


def _why_not() -> str:
    if os.geteuid() != 0:
        return "needs root (network namespaces, tcpdump)"
    for tool in ("ip", "tcpdump", "ethtool", "nginx", "curl", "redis-server", "redis-cli"):
        if not shutil.which(tool):
            return f"needs {tool}"
    probe = f"plr-probe-{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode:
        return f"cannot make a network namespace here: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    why = _why_not()
    if why:
        pytest.skip(why)
    out = tmp_path_factory.mktemp("realistic")
    p = subprocess.Popen([sys.executable, os.path.join(PCAPS, "generate"), "--realistic", "--out", str(out),
                          "--flows", "3", "--seed", "7", "--kinds", "http_curl,redis", "--max-seconds", "120"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    # The run's namespaces are named after its pid (pcaps/gen/realistic.py, Net), so
    # another generator running at the same time (a second suite) does not count here.
    after = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    mine = f"plr{p.pid % 100000}"
    assert not [n for n in after if n.startswith(mine) and len(n) == len(mine) + 1], "namespaces left behind"
    assert p.returncode == 0, err[-3000:]
    return str(out)


def _lines(out):
    with open(os.path.join(out, "manifest.jsonl")) as fh:
        return [json.loads(line) for line in fh]


def test_frames_are_ethernet_sized(generated):
    big = 0
    for cap in {line["capture"] for line in _lines(generated)}:
        with open(os.path.join(generated, cap), "rb") as fh:
            for _, buf in dpkt.pcap.Reader(fh):
                assert len(buf) <= 1514, f"{cap}: a {len(buf)}-byte frame on a 1500-byte link"
                tcp = dpkt.ethernet.Ethernet(buf).data.data
                if isinstance(tcp, dpkt.tcp.TCP):
                    assert len(tcp.data) <= 1460
                    big += len(buf) > 1400
    # the site's pages run to ~400 KB and the redis values to 8 KB: full-size segments
    # appear unless every session fetched only small things
    assert big or all(os.path.getsize(os.path.join(generated, c)) < 20000 for c in os.listdir(generated)
                      if c.endswith(".pcap"))


def test_manifest_hashes_are_the_files(generated):
    sys.path.insert(0, PCAPS)
    from gen import realistic
    lines = _lines(generated)
    assert len(lines) >= 3
    for line in lines:
        assert line["port_mode"] == "realistic" and line["protocol"] in ("http", "redis")
        assert line["server"] == realistic.SERVER_ADDR and line["client"] == realistic.CLIENT_ADDR
        assert set(line["netem"]) == {"delay_ms", "jitter_ms", "loss", "reorder"}
        with open(os.path.join(generated, line["capture"]), "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == line["sha256"]
    info = json.load(open(os.path.join(generated, "training-set.json")))
    assert info["flows"] == len(lines) and info["sha256"] == realistic.set_hash(generated)


def test_training_reads_the_set_with_the_detectors_confirmation(generated):
    from classifier.ml.data import load_generated
    fs, counts = load_generated(generated)
    assert counts["flows"] == len(_lines(generated))
    assert counts["kept"] == len(fs) and len(fs) >= 1
    assert set(fs.origin) == {"generated"} and all(c.startswith("gen:") for c in fs.captures)
