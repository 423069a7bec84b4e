"""Agreement with nDPI's DPI labels on ../shared/ndpi-dev.

Run: PYTHONPATH=/work/main python3 tests/detectors/ndpi_eval.py [-v]
Also used by test_ndpi_agreement.py.
"""
from __future__ import annotations

import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dpkt_flows  # noqa: E402

from classifier.detectors.engine import classify_many  # noqa: E402
from classifier.protocols import ndpi_agreeing  # noqa: E402

# nDPI master protocol (per l4) -> set of our canonical names that agree with it: the
# protocol table's `ndpi` and `ndpi_by_port` columns.  nDPI names STARTTLS/implicit-TLS
# mail by the mail protocol (IMAPS, ...) while the bytes are TLS: both agree.
NDPI_MAP = ndpi_agreeing()


def evaluate(verbose: bool = False):
    labels = dpkt_flows.ndpi_labels()
    pdir = os.path.join(dpkt_flows.NDPI_DIR, "pcaps")
    per = collections.defaultdict(lambda: [0, 0])
    disagree = collections.Counter()
    examples = collections.defaultdict(list)
    for name in sorted(os.listdir(pdir)):
        if not name.endswith((".pcap", ".pcapng", ".cap")):
            continue
        rows = dpkt_flows.flows_with_tuples(os.path.join(pdir, name))
        if not rows:
            continue
        views = [r[0] for r in rows]
        tuples = [r[1] for r in rows]
        ours = classify_many(views, tuples)
        for (view, tup, fl), lab in zip(rows, ours):
            ref = labels.get((name, fl.transport, frozenset([fl.client, fl.server])))
            if not ref or ref["confidence"] != "DPI":
                continue
            want = NDPI_MAP.get(ref["master"])
            if want is None:
                continue
            key = ref["master"]
            per[key][1] += 1
            if lab.protocol in want:
                per[key][0] += 1
            else:
                disagree[(key, lab.protocol)] += 1
                examples[(key, lab.protocol)].append((name, tup, lab.pending))
    ok = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return ok, total, per, disagree, examples


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # allow `| head`
    ok, total, per, dis, ex = evaluate()
    print(f"agreement {ok}/{total} = {ok / max(total, 1):.4f}")
    for k, (a, n) in sorted(per.items(), key=lambda x: -x[1][1]):
        print(f"  {k:16s} {a:4d}/{n:<4d}")
    print("disagreements (nDPI, ours): count")
    for k, n in dis.most_common():
        print(f"  {k}: {n}", ex[k][:3] if "-v" in sys.argv else "")
