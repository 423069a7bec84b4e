"""tshark's JA3/JA3S/HASSH fields beside portlens' on real captures (the issue's check;
used by tests/test_fingerprints.py and runnable on its own for the full count):

    python tests/tshark_fingerprints.py pcaps ../shared/ndpi-dev/pcaps

Debian's tshark (Wireshark 4.0) computes tls.handshake.ja3/ja3s and ssh.kex.hassh/
hasshserver; it has no JA4 field (that came with 4.2), so JA4 is checked against the
specification's example instead.  A flow is compared where both tools give a value.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

FIELDS = ("ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
          "tls.handshake.ja3", "tls.handshake.ja3s", "ssh.kex.hassh", "ssh.kex.hasshserver")
# tshark field -> portlens metadata key
KEYS = {"tls.handshake.ja3": "ja3", "tls.handshake.ja3s": "ja3s", "ssh.kex.hassh": "hassh",
        "ssh.kex.hasshserver": "hassh_server"}


def tshark_values(path: str, decode_as=()) -> dict:
    """{(endpoint, endpoint) sorted: {metadata key: first value tshark gives}}.
    `decode_as`: (port, "tls" or "ssh") pairs for tshark's -d, since it picks its SSH
    and TLS dissectors by port (the corpus runs them on random ports)."""
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f",
           "-Y", "tls.handshake.ja3 || tls.handshake.ja3s || ssh.kex.hassh || ssh.kex.hasshserver"]
    for port, proto in sorted(set(decode_as)):
        cmd += ["-d", f"tcp.port=={port},{proto}"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out: dict = {}
    for line in res.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        a = (v["ip.src"] or v["ipv6.src"], int(v["tcp.srcport"] or 0))
        b = (v["ip.dst"] or v["ipv6.dst"], int(v["tcp.dstport"] or 0))
        flow = out.setdefault(tuple(sorted((a, b))), {})
        for f, key in KEYS.items():
            if v.get(f) and key not in flow:
                flow[key] = v[f]
    return out


def portlens_values(path: str):
    """({flow: {metadata key: value}}, the (port, protocol) pairs tshark should decode
    as TLS or SSH: the server ports of portlens' tls flows off 443 and ssh flows off
    22 -- ssh on 443 too, which tshark would otherwise take for TLS)."""
    from classifier.pipeline import analyze
    out, decode_as = {}, []
    for rec in analyze(path, ml="off"):
        if rec["transport"] != "tcp":
            continue
        meta = rec["metadata"]
        vals = {k: meta[k] for k in KEYS.values() if k in meta}
        key = tuple(sorted(((rec["client"], rec["client_port"]), (rec["server"], rec["server_port"]))))
        out[key] = vals
        if (rec["protocol"], rec["server_port"]) not in (("tls", 443), ("ssh", 22)) \
                and rec["protocol"] in ("tls", "ssh"):
            decode_as.append((rec["server_port"], rec["protocol"]))
    return out, decode_as


def compare(paths) -> dict:
    """Per fingerprint: flows where both have a value, agreements, and the differences
    (capture, flow, portlens, tshark); also values only one side has."""
    stats = {k: {"both": 0, "agree": 0, "differ": [], "only_portlens": 0, "only_tshark": 0}
             for k in KEYS.values()}
    for path in paths:
        try:
            mine, decode_as = portlens_values(path)
        except Exception:                     # an unreadable capture: nothing to compare
            continue
        theirs = tshark_values(path, decode_as)
        for flow in set(mine) | set(theirs):
            m, t = mine.get(flow, {}), theirs.get(flow, {})
            for k, s in stats.items():
                if k in m and k in t:
                    s["both"] += 1
                    if m[k] == t[k]:
                        s["agree"] += 1
                    else:
                        s["differ"].append((os.path.basename(path), flow, m[k], t[k]))
                elif k in m:
                    s["only_portlens"] += 1
                elif k in t and flow in mine:
                    s["only_tshark"] += 1
    return stats


def captures(folder: str):
    return sorted(p for p in glob.glob(os.path.join(folder, "**", "*.pcap*"), recursive=True))


if __name__ == "__main__":
    if not shutil.which("tshark"):
        sys.exit("tshark is not installed")
    paths = [p for d in sys.argv[1:] for p in captures(d)]
    print(json.dumps(compare(paths), indent=1, default=str))
