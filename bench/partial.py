#!/usr/bin/env python3
"""What portlens still names when a sensor sees only part of a flow (issue 15: partial flows).

usage: python bench/partial.py [--corpus DIR] [--ndpi DIR] [--views v1,v2] [--keep DIR]
                               [--portlens CMD] [--model DIR] [--json OUT] [--misses N] [--errors]

Reference flows: every TCP/UDP flow the detectors label with the full capture
(`analyze --ml off`, source dpi), from the captures under pcaps/ and, when it is there,
../shared/ndpi-dev, where a flow also needs nDPI's payload (DPI) label to agree with
ours (the protocol table's nDPI names, as tools/ndpi_claims.py compares them).

Views, cut from each flow's own packets and written as new captures into a temporary
directory (never into the project):

    full      the capture as it is (the reference run again: a sanity line)
    drop1..3  the first 1, 2, 3 payload-carrying packets of EACH direction removed
    late2     the first 2 payload-carrying packets of the flow removed, whichever
              direction they went (a sensor that joined late)
    c2s-only  the client's packets only (SYN included)
    s2c-only  the server's packets only
    trunc64   every packet cut 64 bytes after its TCP/UDP header, original length kept
              (a 64-byte snaplen past the headers)

The ceiling: a flow whose cut left no payload byte in either direction (a DNS query and
its answer after drop1, a one-way SLP request in s2c-only) cannot be named from its
bytes; the table counts the flows that keep any (per direction) and gives the combined
share over those too.  --misses N lists, per view, the protocols of the flows the
combined run left unknown and how many of them kept payload.

Each view goes through the whole product (`python -m classifier analyze DIR -f jsonl`)
three times: --ml off (detectors alone), the default --ml fallback (combined), and
--ml all, whose per-flow `ml` opinion is the model alone. Per view and labeller:
labelled = reference flows given a name / reference flows cut in the view;
precision = names equal to the full-data label / names given.  A flow whose packets
all went (a one-direction view of a flow that had no packet that way) counts as
unlabelled.  Packets this script cannot decode (tunnels, odd link types) are kept as
they are and their flows are left out of the view's count.
"""
from __future__ import annotations

import argparse
import collections
import ipaddress
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

import dpkt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tools"))

from classifier.protocols import ndpi_agreeing  # noqa: E402

VIEWS = ("full", "drop1", "drop2", "drop3", "late2", "c2s-only", "s2c-only", "trunc64")
MODES = (("detectors", ["--ml", "off"]), ("combined", []), ("model", ["--ml", "all"]))
CAPTURE_EXT = (".pcap", ".pcapng", ".cap")


# ---------------------------------------------------------------- reading and writing

def _reader(f):
    head = f.read(4)
    f.seek(0)
    if head == b"\x0a\x0d\x0d\x0a":
        return dpkt.pcapng.Reader(f)
    return dpkt.pcap.Reader(f)


def _l3(buf, dlt):
    """The IP packet inside a frame of link type dlt, or None."""
    try:
        if dlt == 1:
            return dpkt.ethernet.Ethernet(buf).data
        if dlt in (12, 14, 101, 228, 229):
            return dpkt.ip.IP(buf) if buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
        if dlt == 113:
            return dpkt.sll.SLL(buf).data
        if dlt == 276:
            return dpkt.sll2.SLL2(buf).data
        if dlt in (0, 108):                      # BSD null / loopback: 4-byte family
            return dpkt.ip.IP(buf[4:]) if buf[4] >> 4 == 4 else dpkt.ip6.IP6(buf[4:])
    except Exception:                            # undecodable: the packet is kept as it is
        return None
    return None


def _addr(raw):
    return str(ipaddress.ip_address(bytes(raw)))


def _norm(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a                                 # nDPI prints a few odd addresses: kept as text


def flow_key(transport, a, ap, b, bp):
    """Transport and the unordered endpoint pair: how flows of the view, the reference
    run and nDPI's labels are joined."""
    return (transport, frozenset([(_norm(a), int(ap or 0)), (_norm(b), int(bp or 0))]))


def packets(path):
    """(ts, frame, dlt, decoded) for every record; decoded is (key, src endpoint,
    payload length, payload offset in the frame) for TCP/UDP over IP, else None."""
    with open(path, "rb") as f:
        try:
            r = _reader(f)
            dlt = r.datalink()
            for ts, buf in r:
                ip = _l3(buf, dlt)
                t = getattr(ip, "data", None)
                if not isinstance(t, (dpkt.tcp.TCP, dpkt.udp.UDP)) or not isinstance(t.data, bytes):
                    yield ts, buf, dlt, None
                    continue
                tr = "tcp" if isinstance(t, dpkt.tcp.TCP) else "udp"
                src, dst = (_addr(ip.src), t.sport), (_addr(ip.dst), t.dport)
                pay = t.data
                off = buf.rfind(pay) if pay else len(buf)
                yield ts, buf, dlt, ((tr, frozenset([src, dst])), src, len(pay), off)
        except (dpkt.NeedData, dpkt.UnpackError, ValueError, struct.error, IndexError):
            return                               # a damaged tail: what was read is the capture


class PcapWriter:
    """Classic pcap, microsecond stamps; caplen may be below the original length."""

    def __init__(self, path, dlt):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, dlt))

    def write(self, ts, data, orig):
        ts = float(ts)                           # dpkt gives a Decimal for nanosecond captures
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        sec = min(max(sec, 0), 0xFFFFFFFF)       # a few captures carry stamps pcap cannot hold
        self.f.write(struct.pack("<IIII", sec, usec, len(data), orig))
        self.f.write(data)

    def close(self):
        self.f.close()


def cut(src, dst, view, clients):
    """Write view `view` of capture src to dst; returns {flow key: the directions ("c2s",
    "s2c") that still carry a payload byte in the view} for the flows it cut (a direction
    is named from the reference client, "c2s" for both sides when there is none)."""
    seen = collections.Counter()                 # (key, src endpoint) or key -> payload packets met
    keys = {}
    w = None
    for ts, buf, dlt, dec in packets(src):
        if w is None:
            w = PcapWriter(dst, dlt)
        orig = len(buf)
        if dec is not None:
            key, sender, plen, off = dec
            left = keys.setdefault(key, set())
            if view in ("drop1", "drop2", "drop3") and plen:
                k = int(view[-1])
                seen[(key, sender)] += 1
                if seen[(key, sender)] <= k:
                    continue
            elif view == "late2" and plen:
                seen[key] += 1
                if seen[key] <= 2:
                    continue
            elif view in ("c2s-only", "s2c-only"):
                client = clients.get(key)
                if client is None:
                    keys[key] = left = None      # no reference orientation: not judged
                elif (sender == client) != (view == "c2s-only"):
                    continue
            elif view == "trunc64" and plen > 64:
                buf = buf[:off + 64]
            if plen and left is not None:
                left.add("s2c" if clients.get(key) not in (None, sender) else "c2s")
        w.write(ts, buf, orig)
    if w is None:                                # nothing readable: an empty capture of the same kind
        shutil.copyfile(src, dst)
    else:
        w.close()
    return {k: v for k, v in keys.items() if v is not None}


# ---------------------------------------------------------------- running the product

def run(portlens, target, extra):
    cmd = [*shlex.split(portlens), "analyze", target, "-f", "jsonl", "-q", *extra]
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode not in (0, 3):               # 3: some capture was damaged (ndpi-dev has one)
        sys.exit(f"partial.py: {' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    out = collections.defaultdict(list)
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            key = flow_key(r["transport"], r["client"], r["client_port"], r["server"], r["server_port"])
            out[(os.path.basename(r["capture"]), key)].append(r)
    return out


def captures(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if n.endswith(CAPTURE_EXT) and os.path.getsize(os.path.join(d, n)))


def reference(sets, portlens, ndpi):
    """{(set, capture, key): (label, client endpoint)} from the full captures."""
    table = ndpi_agreeing()
    truth = collections.defaultdict(list)
    labels = os.path.join(ndpi, "labels.jsonl") if ndpi else None
    if labels and os.path.exists(labels):
        from ndpi_claims import agrees       # tools/: nDPI's names against ours, as it counts them
        for line in open(labels):
            t = json.loads(line)
            if t["l4"] in ("TCP", "UDP"):
                truth[(t["pcap"], flow_key(t["l4"].lower(), t["a"], t["a_port"], t["b"], t["b_port"]))].append(t)
    ref = {}
    for name, d in sets.items():
        got = run(portlens, d, ["--ml", "off"])
        for (cap, key), recs in got.items():
            if len(recs) != 1:
                continue                         # the tuple reused: joins would be ambiguous
            r = recs[0]
            if r["protocol"] == "unknown" or "dpi" not in (r.get("source") or ""):
                continue
            if name == "ndpi":
                ts = truth.get((cap, key), [])
                if len(ts) != 1 or not ts[0]["confidence"].startswith("DPI") \
                        or not agrees(ts[0]["master"], r["protocol"], table):
                    continue
            ref[(name, cap, key)] = (r["protocol"], (r["client"], r["client_port"]))
    return ref


def labels_of(recs, mode):
    """The label a labeller gave a flow in one run's records (the first record of the
    tuple: a later one is a reconnection after the view's cut)."""
    if not recs:
        return "unknown"
    r = recs[0]
    if mode == "model":
        ml = r.get("ml") or {}
        return ml.get("protocol") or "unknown"
    return r["protocol"] or "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, "pcaps", "corpus"))
    ap.add_argument("--ndpi", default=os.path.join(ROOT, "..", "shared", "ndpi-dev"),
                    help="nDPI reference set (labels.jsonl, pcaps/); skipped when absent")
    ap.add_argument("--views", default=",".join(VIEWS))
    ap.add_argument("--portlens", default=f"{sys.executable} -m classifier")
    ap.add_argument("--model", help="the model directory for the combined and model runs (default: the shipped "
                    "one), to compare a retrained model (e.g. `portlens train --generated ...`)")
    ap.add_argument("--keep", help="write the views here and keep them (default: a temp dir, removed)")
    ap.add_argument("--json", help="also write the table here as JSON")
    ap.add_argument("--misses", type=int, default=0, metavar="N",
                    help="also list, per view, the N protocols (full-data label) with the most "
                         "flows the combined run left unknown, and how many of those kept payload")
    ap.add_argument("--errors", action="store_true",
                    help="list the wrong names per view and labeller (full-data label -> name, count)")
    o = ap.parse_args(argv)
    views = [v for v in o.views.split(",") if v]
    for v in views:
        if v not in VIEWS:
            ap.error(f"unknown view {v!r} (choose from {', '.join(VIEWS)})")
    sets = {}
    if os.path.isdir(o.corpus):
        sets["corpus"] = o.corpus
    if o.ndpi and os.path.isdir(os.path.join(o.ndpi, "pcaps")):
        sets["ndpi"] = os.path.join(o.ndpi, "pcaps")
    if not sets:
        print(f"bench/partial.py: needs captures: {o.corpus} (a checkout's pcaps/corpus) or "
              f"{o.ndpi} (../shared/ndpi-dev), and neither is here", file=sys.stderr)
        return 2
    work = o.keep or tempfile.mkdtemp(prefix="portlens-partial-")
    try:
        ref = reference(sets, o.portlens, o.ndpi)
        per_set = collections.Counter(s for s, _, _ in ref)
        print(f"reference flows: {len(ref)} ({', '.join(f'{k} {v}' for k, v in sorted(per_set.items()))})",
              file=sys.stderr)
        clients = {}
        for (s, cap, key), (_, cl) in ref.items():
            clients[(s, cap, key)] = (_norm(cl[0]), int(cl[1]))
        rows = []
        for view in views:
            judged = {}
            for name, d in sets.items():
                out = os.path.join(work, view, name)
                os.makedirs(out, exist_ok=True)
                for src in captures(d):
                    cap = os.path.basename(src)
                    cl = {key: c for (s, c0, key), c in clients.items() if s == name and c0 == cap}
                    dst = os.path.join(out, os.path.splitext(cap)[0] + ".pcap")
                    for key, left in cut(src, dst, view, cl).items():
                        judged[(name, os.path.splitext(cap)[0] + ".pcap", cap, key)] = left
            row = {"view": view}
            flows = [(n, pc, c, k) for (n, pc, c, k) in judged if (n, c, k) in ref]
            row["flows"] = len(flows)
            # the ceiling: a flow with no payload byte left in the view (a DNS exchange of
            # one query and one answer after drop1) can only be named by the packets' shape
            left = {f: judged[f] for f in flows}
            row["payload_left"] = sum(1 for f in flows if left[f])
            row["left_c2s"] = sum(1 for f in flows if "c2s" in left[f])
            row["left_s2c"] = sum(1 for f in flows if "s2c" in left[f])
            for mode, extra in MODES:
                got = {}
                if o.model and mode != "detectors":
                    extra = [*extra, "--model", o.model]
                for name in sets:
                    for (pc, k), recs in run(o.portlens, os.path.join(work, view, name), extra).items():
                        got[(name, pc, k)] = recs
                named = right = named_left = 0
                wrong = collections.Counter()
                missed = collections.defaultdict(collections.Counter)
                for n, pc, c, k in flows:
                    lab = labels_of(got.get((n, pc, k)), mode)
                    want = ref[(n, c, k)][0]
                    sides = left[(n, pc, c, k)]
                    if lab != "unknown":
                        named += 1
                        named_left += bool(sides)
                        right += lab == want
                        if lab != want:
                            wrong[(want, lab, n, c)] += 1
                    else:
                        m = missed[want]
                        m["unlabelled"] += 1
                        m["left"] += bool(sides)
                        m["c2s"] += "c2s" in sides
                        m["s2c"] += "s2c" in sides
                row[mode] = {"labelled": named, "right": right, "labelled_left": named_left}
                if mode == "combined":
                    row["missed"] = {p: dict(m) for p, m in
                                     sorted(missed.items(), key=lambda x: (-x[1]["unlabelled"], x[0]))}
                if o.errors and wrong:
                    print(f"{view} {mode} wrong:", file=sys.stderr)
                    for (want, lab, n, c), cnt in wrong.most_common():
                        print(f"    {want:>12} -> {lab:<12} {cnt:>4}  {n}/{c}", file=sys.stderr)
            rows.append(row)
            print(_line(row), file=sys.stderr)
            if not o.keep:
                shutil.rmtree(os.path.join(work, view), ignore_errors=True)
    finally:
        if not o.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    if o.misses:
        print()
        print(misses(rows, o.misses))
    if o.json:
        with open(o.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


def _pct(a, b):
    return f"{100.0 * a / b:5.1f}" if b else "    -"


def _line(row):
    n = row["flows"]
    parts = [f"{row['view']:<9} {n:>5} {row['payload_left']:>5}"]
    for mode in ("detectors", "model", "combined"):
        m = row[mode]
        parts.append(f"{_pct(m['labelled'], n)} {_pct(m['right'], m['labelled'])}")
    parts.append(f"{_pct(row['combined']['labelled_left'], row['payload_left'])}")
    return " | ".join(parts)


def table(rows):
    head = ["| view | flows | flows with payload left (c2s / s2c) | detectors labelled % "
            "| detectors precision % | model labelled % | model precision % | combined labelled % "
            "| combined precision % | combined labelled % of flows with payload left |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        n = row["flows"]
        cells = [row["view"], str(n),
                 f"{row['payload_left']} ({row['left_c2s']} / {row['left_s2c']})"]
        for mode in ("detectors", "model", "combined"):
            m = row[mode]
            cells += [_pct(m["labelled"], n).strip(), _pct(m["right"], m["labelled"]).strip()]
        cells.append(_pct(row["combined"]["labelled_left"], row["payload_left"]).strip())
        head.append("| " + " | ".join(cells) + " |")
    return "\n".join(head)


def misses(rows, top):
    """Per view, the protocols whose flows the combined run left unknown, most first."""
    out = []
    for row in rows:
        missed = row.get("missed") or {}
        total = sum(m["unlabelled"] for m in missed.values())
        out.append(f"{row['view']}: {total} flows left unknown (combined); "
                   f"protocol: unknown (with payload left: any, c2s, s2c)")
        for p, m in list(missed.items())[:top]:
            out.append(f"    {p:<16} {m['unlabelled']:>5}  ({m['left']}, {m['c2s']}, {m['s2c']})")
        if len(missed) > top:
            rest = list(missed.values())[top:]
            out.append(f"    {len(rest)} more protocols: {sum(m['unlabelled'] for m in rest)} flows")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
