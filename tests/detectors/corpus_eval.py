"""Agreement with the project's own labelled corpus (pcaps/corpus/manifest.jsonl).

Run: PYTHONPATH=. python3 tests/detectors/corpus_eval.py [-v]
Each manifest line names a capture, a flow tuple and the protocol the generator started
there.  Flows without payload are not counted (nothing to detect).
"""
from __future__ import annotations

import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dpkt_flows  # noqa: E402

from classifier.detectors.engine import classify_many  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CORPUS = os.path.join(ROOT, "pcaps", "corpus")
MANIFEST = os.path.join(CORPUS, "manifest.jsonl")


def manifest():
    rows = collections.defaultdict(list)
    with open(MANIFEST) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                rows[r["capture"]].append(r)
    return rows


# Traffic that carries no clear protocol structure at all, so that no payload
# classifier can name it; for these the right answer is "no label" (and never a wrong
# one).  OpenVPN static-key mode: every datagram is HMAC + IV + ciphertext.  BitTorrent
# Message Stream Encryption with RC4 for the whole stream: a Diffie-Hellman exchange of
# random-looking keys, then ciphertext (when MSE settles on plaintext, the clear
# handshake follows the keys and the flow is detected).
UNDETECTABLE_VARIANTS = {("openvpn", "static-key")}


def undetectable(row, view) -> bool:
    if (row["protocol"], row.get("variant")) in UNDETECTABLE_VARIANTS:
        return True
    # Without the clear handshake anywhere, a BitTorrent TCP flow is fully RC4-encrypted.
    return (row["protocol"] == "bittorrent" and view.transport == "tcp"
            and b"BitTorrent protocol" not in view.payload_c2s + view.payload_s2c)


def evaluate():
    per = collections.defaultdict(lambda: [0, 0])
    wrong = []
    for cap, rows in sorted(manifest().items()):
        path = os.path.join(CORPUS, cap)
        if not os.path.exists(path):
            continue
        flows = dpkt_flows.flows_with_tuples(path)
        labels = classify_many([f[0] for f in flows], [f[1] for f in flows])
        index = {}
        for (view, tup, fl), lab in zip(flows, labels):
            index[(fl.transport, frozenset([fl.client, fl.server]))] = (view, lab)
        for r in rows:
            key = (r["transport"], frozenset([(r["client"], r["client_port"]),
                                              (r["server"], r["server_port"])]))
            if key not in index:
                continue
            view, lab = index[key]
            if not (view.payload_c2s or view.payload_s2c):
                continue
            per[r["protocol"]][1] += 1
            # "unknown" marks payload the generator knows is no protocol (e.g. a TURN
            # relay's test pattern): the right answer is no label.
            want = None if r["protocol"] == "unknown" or undetectable(r, view) else r["protocol"]
            if lab.protocol == want:
                per[r["protocol"]][0] += 1
            else:
                wrong.append((cap, r["protocol"], r.get("variant"), lab.protocol, lab.pending))
    return per, wrong


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # allow `| head`
    per, wrong = evaluate()
    ok = sum(a for a, _ in per.values())
    n = sum(b for _, b in per.values())
    print(f"corpus agreement {ok}/{n}")
    for k, (a, b) in sorted(per.items()):
        print(f"  {k:12s} {a}/{b}")
    for w in wrong:
        print("  WRONG", w)
