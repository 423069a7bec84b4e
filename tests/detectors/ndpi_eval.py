"""Agreement with nDPI's DPI labels on ../shared/ndpi-dev.

Run: PYTHONPATH=. python3 tests/detectors/ndpi_eval.py [-v]
Also used by test_validation.py.  The captures are read and labelled by the product
(tests/analyzed.py: FlowReader + Analyzer, --ml off); tools/ndpi_claims.py is the
fuller report (reach, every disagreement, per-protocol claims) over the CLI.
"""
from __future__ import annotations

import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from analyzed import analyzed, detected  # noqa: E402
from refdata import NDPI_DIR, NDPI_PCAPS  # noqa: E402

from classifier.protocols import ndpi_agreeing  # noqa: E402

# nDPI master protocol (per l4) -> set of our canonical names that agree with it: the
# protocol table's `ndpi` and `ndpi_by_port` columns.  nDPI names STARTTLS/implicit-TLS
# mail by the mail protocol (IMAPS, ...) while the bytes are TLS: both agree.
NDPI_MAP = ndpi_agreeing()


def ndpi_labels() -> dict:
    """{(pcap, l4, frozenset of the two endpoints): label row} from labels.jsonl."""
    import json
    out = {}
    with open(os.path.join(NDPI_DIR, "labels.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            key = (r["pcap"], r["l4"].lower(),
                   frozenset([(r["a"], r["a_port"]), (r["b"], r["b_port"])]))
            out[key] = r
    return out


def evaluate(verbose: bool = False):
    """Per nDPI flow (not per record: the fast path may split one long UDP exchange by
    idle timeout into many records, which nDPI keeps as one flow): agreed when one of
    the flow's records carries an agreeing label, else a disagreement with the label
    most of its records carry (None: unknown)."""
    labels = ndpi_labels()
    pdir = NDPI_PCAPS
    per = collections.defaultdict(lambda: [0, 0])
    disagree = collections.Counter()
    examples = collections.defaultdict(list)
    for name in sorted(os.listdir(pdir)):
        if not name.endswith((".pcap", ".pcapng", ".cap")):
            continue
        flows = {}                   # nDPI key -> (ref, [our labels], first tuple, source)
        for rec, _flow in analyzed(os.path.join(pdir, name)):
            tup = (rec["client"], rec["client_port"], rec["server"], rec["server_port"])
            k = (name, rec["transport"], frozenset([tup[:2], tup[2:]]))
            ref = labels.get(k)
            if not ref or ref["confidence"] != "DPI" or ref["master"] not in NDPI_MAP:
                continue
            flows.setdefault(k, (ref, [], tup, rec["source"]))[1].append(detected(rec))
        for ref, ours_all, tup, source in flows.values():
            key = ref["master"]
            want = NDPI_MAP[key]
            per[key][1] += 1
            if any(o in want for o in ours_all):
                per[key][0] += 1
            else:
                named = [o for o in ours_all if o is not None]
                ours = collections.Counter(named).most_common(1)[0][0] if named else None
                disagree[(key, ours)] += 1
                examples[(key, ours)].append((name, tup, source))
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
