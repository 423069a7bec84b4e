#!/usr/bin/env python3
"""What portlens claims on ../shared/ndpi-dev beside nDPI's payload (DPI) labels.

    python tools/ndpi_claims.py                      # reach, agreement, every disagreement
    python tools/ndpi_claims.py --protocols oicq,bacnet   # also every flow these claim
    python tools/ndpi_claims.py --portlens "python -m classifier" --cache /tmp/pl-out

Runs the product (`portlens analyze CAPTURE --format jsonl`, one process per capture)
on every capture, joins its records to nDPI's flows on transport and the unordered
endpoint pair, and compares labels through the protocol table's `ndpi` and
`ndpi_by_port` columns (classifier.protocols.ndpi_agreeing), so a new protocol's row is
all it takes to be counted.  Over the TCP/UDP flows with payload (the set
../shared/tools/ndpi_coverage.py counts):

* reach: the share nDPI names from payload and the share portlens names;
* agreement where both name the flow, and every disagreement grouped by
  (nDPI's name, ours) with one example (capture, client, server);
* with --protocols: every flow those protocols claim and what nDPI said of it (a claim
  nDPI's DPI names otherwise is a false positive to explain or fix; a claim nDPI leaves
  unknown or labels by port is new reach to check by hand).

Exit status 0; it reports, it does not judge.  Skips cleanly (exit 0, a message) when
../shared/ndpi-dev is absent.  --cache DIR keeps each capture's jsonl to reuse with
--reuse (for iterating on the report, not on detectors).
"""
from __future__ import annotations

import argparse
import collections
import ipaddress
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from classifier.protocols import ndpi_agreeing  # noqa: E402

NDPI = os.path.join(ROOT, "..", "shared", "ndpi-dev")


def _addr(ip):
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip


def _key(t, a, ap, b, bp):
    return (t.lower(), frozenset([(_addr(a), int(ap or 0)), (_addr(b), int(bp or 0))]))


def _norm(x):
    return "".join(ch for ch in x.lower() if ch.isalnum())


def _shared_aliases():
    """../shared/tools/ndpi_coverage.py's ALIASES, so both tools count agreement alike."""
    import ast
    path = os.path.join(ROOT, "..", "shared", "tools", "ndpi_coverage.py")
    try:
        tree = ast.parse(open(path).read())
    except OSError:
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ALIASES":
            return ast.literal_eval(node.value)
    return {}


SHARED_ALIASES = _shared_aliases()


def _payload(r):
    p = r.get("payload") or {}
    return (p.get("c2s") or 0) + (p.get("s2c") or 0)


def agrees(master, ours, table):
    return (ours in table.get(master, ()) or ours in SHARED_ALIASES.get(master, ())
            or _norm(master) == _norm(ours))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ndpi", default=NDPI)
    ap.add_argument("--portlens", default=f"{sys.executable} -m classifier")
    ap.add_argument("--protocols", default="", help="comma-separated names: list every flow they claim")
    ap.add_argument("--cache", help="directory for each capture's jsonl")
    ap.add_argument("--reuse", action="store_true", help="read --cache instead of running portlens")
    ap.add_argument("--misses", action="store_true",
                    help="list every flow nDPI's payload dissection names and portlens does not")
    ap.add_argument("extra", nargs="*", help="extra arguments for portlens analyze")
    o = ap.parse_args(argv)
    labels = os.path.join(o.ndpi, "labels.jsonl")
    if not os.path.exists(labels):
        print(f"ndpi_claims: {o.ndpi} not present, nothing to compare")
        return 0
    watch = {p for p in o.protocols.split(",") if p}
    table = ndpi_agreeing()
    truth = collections.defaultdict(list)
    for line in open(labels):
        f = json.loads(line)
        truth[f["pcap"]].append(f)
    if o.cache:
        os.makedirs(o.cache, exist_ok=True)
    n = n_ndpi = n_pl = both = agree = 0
    missing, disagree, claims = collections.Counter(), collections.Counter(), []
    missed = []
    example = {}
    for name in sorted(truth):
        path = os.path.join(o.ndpi, "pcaps", name)
        if not os.path.exists(path) or not os.path.getsize(path):
            continue
        cached = os.path.join(o.cache, name + ".jsonl") if o.cache else None
        if o.reuse and cached and os.path.exists(cached):
            out = open(cached).read()
        else:
            p = subprocess.run([*shlex.split(o.portlens), "analyze", path, "--format", "jsonl", *o.extra],
                               capture_output=True, text=True)
            out = p.stdout
            if cached:
                with open(cached, "w") as fh:
                    fh.write(out)
        got = {}
        for line in out.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                k = _key(r["transport"], r["client"], r["client_port"], r["server"], r["server_port"])
                # A reused 5-tuple (mongodb.pcap, rtsp.pcap) gives several records with one
                # key; nDPI has one flow for it: keep the record that carried payload.
                if k not in got or _payload(r) > _payload(got[k]):
                    got[k] = r
        for t in truth[name]:
            if t["l4"] not in ("TCP", "UDP"):
                continue
            r = got.get(_key(t["l4"], t["a"], t["a_port"], t["b"], t["b_port"]))
            if r is None or (r.get("bytes_c2s", 0) + r.get("bytes_s2c", 0)) == 0:
                continue
            payload = r.get("payload") or {}
            if not (payload.get("c2s") or payload.get("s2c")) and t["confidence"] == "Unknown":
                continue
            ours = r.get("protocol") or "unknown"
            where = f"{name} {r['transport']} {r['client']}:{r['client_port']} -> {r['server']}:{r['server_port']}"
            if ours in watch:
                claims.append((ours, t["master"], t["confidence"], r.get("source"), where))
            n += 1
            nd = t["confidence"].startswith("DPI")
            pl = ours != "unknown"
            n_ndpi += nd
            n_pl += pl
            if nd and pl:
                both += 1
                if agrees(t["master"], ours, table):
                    agree += 1
                else:
                    disagree[(t["master"], ours, r.get("source"))] += 1
                    example.setdefault((t["master"], ours, r.get("source")), where)
            elif nd:
                missing[t["master"]] += 1
                missed.append((t["master"], t["app"], where))
    print("nDPI names, portlens does not:", ", ".join(f"{k} {v}" for k, v in missing.most_common()))
    print("disagreements (nDPI, ours, our source): count, example")
    for k, v in disagree.most_common():
        print(f"  {k[0]:<20} {k[1]:<16} {str(k[2]):<9} {v:>4}  {example[k]}")
    if o.misses:
        print("missed (nDPI master, nDPI app, flow):")
        for m in sorted(missed):
            print(f"  {m[0]:<20} {str(m[1]):<18} {m[2]}")
    if watch:
        print("claims of", ", ".join(sorted(watch)), "(ours, nDPI master, nDPI confidence, our source, flow):")
        for c in sorted(claims):
            flag = "" if not c[2].startswith("DPI") or agrees(c[1], c[0], table) else "   <-- nDPI DPI says otherwise"
            print(f"  {c[0]:<14} {c[1]:<18} {c[2]:<14} {str(c[3]):<9} {c[4]}{flag}")
    print(f"FIGURE: {n} payload flows; nDPI names {100.0 * n_ndpi / max(n, 1):.1f}%, portlens "
          f"{100.0 * n_pl / max(n, 1):.1f}%; agreement where both name {100.0 * agree / max(both, 1):.1f}% "
          f"({agree}/{both})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
