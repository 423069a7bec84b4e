#!/usr/bin/env python3
"""Probes per flow: how many detectors the prefilter lets through and how many probe
calls a flow costs, as the number of protocols grows (issue 14: "the prefilter keeps
the probes per flow about constant").

    python bench/probes.py                     # bench.pcap (built by bench/run.py) + pcaps/ + ndpi-dev
    python bench/probes.py CAPTURE...          # those captures only

For every capture it runs the product's reader and analyzer (`FlowReader` + `Analyzer`,
`--ml off`) with each detector's probe wrapped in a counter, and prints per input set:
flows, flows with payload, probe calls per flow with payload (mean; a probe may be
called again as more packets of the flow arrive), and the detectors called most.  Deterministic: counts, not times; the time cost
is bench/analyze.py's business.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def counting_engine(calls):
    """A detector engine whose probes count their calls."""
    from classifier.detectors.detector_list import SPECS
    from classifier.detectors.engine import Engine

    def wrap(name, probe):
        def counted(view, state):
            calls[name] += 1
            return probe(view, state)
        return counted

    return Engine([dataclasses.replace(s, probe=wrap(s.name, s.probe)) if s.probe else s for s in SPECS])


def measure(paths):
    from classifier.flows import FlowReader
    from classifier.pipeline import Analyzer
    calls = collections.Counter()
    engine = counting_engine(calls)
    an = Analyzer(ml=None, engine=engine)
    flows = with_payload = 0
    for p in paths:
        try:
            reader = FlowReader(p)
            for batch in reader.batches():
                for rec in an.label(batch):
                    flows += 1
                    pl = rec.get("payload") or {}
                    with_payload += bool(pl.get("c2s") or pl.get("s2c"))
        except Exception as e:          # a damaged capture of the reference set: skip it
            print(f"  ({os.path.basename(p)}: {type(e).__name__}: {e})", file=sys.stderr)
    return flows, with_payload, calls


def captures(d):
    out = []
    for base, _, files in os.walk(d):
        out += [os.path.join(base, f) for f in files if f.endswith((".pcap", ".pcapng", ".cap"))]
    return sorted(out)


def main(argv):
    sets = []
    if argv:
        sets.append(("given", argv))
    else:
        bench = os.path.join(ROOT, "bench", "bench.pcap")
        if os.path.exists(bench):
            sets.append(("bench.pcap", [bench]))
        sets.append(("pcaps/", captures(os.path.join(ROOT, "pcaps"))))
        nd = os.path.join(ROOT, "..", "shared", "ndpi-dev", "pcaps")
        if os.path.isdir(nd):
            sets.append(("ndpi-dev", captures(nd)))
    sets = [(name, paths) for name, paths in sets if paths]
    missing = [p for p in argv if not os.path.isfile(p)]
    if missing or not sets:
        what = (f"{', '.join(missing)}: no such file" if missing else
                "no captures: none given, and neither pcaps/ nor ../shared/ndpi-dev is here")
        print(f"bench/probes.py: {what}", file=sys.stderr)
        return 2
    from classifier.detectors.detector_list import NAMES
    print(f"{len(NAMES)} detectors")
    print(f"{'input':<12} {'flows':>8} {'w/ payload':>10} {'probe calls/flow':>17}  most called")
    for name, paths in sets:
        flows, wp, calls = measure(paths)
        total = sum(calls.values())
        top = ", ".join(f"{k} {v}" for k, v in calls.most_common(5))
        print(f"{name:<12} {flows:>8} {wp:>10} {total / max(wp, 1):>17.2f}  {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
