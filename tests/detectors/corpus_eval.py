"""Agreement with the project's own labelled corpus (pcaps/corpus/manifest.jsonl).

Run: PYTHONPATH=. python3 tests/detectors/corpus_eval.py [-v]
Each manifest line names a capture, a flow tuple and the protocol the generator started
there.  Flows without payload are not counted (nothing to detect).  The captures are
read and labelled by the product (tests/analyzed.py: FlowReader + Analyzer, --ml off).
"""
from __future__ import annotations

import collections
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from analyzed import analyzed, detected  # noqa: E402

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
        index = {}
        for rec, flow in analyzed(path):
            index[(rec["transport"], frozenset([(rec["client"], rec["client_port"]),
                                                (rec["server"], rec["server_port"])]))] = (flow, rec)
        for r in rows:
            key = (r["transport"], frozenset([(r["client"], r["client_port"]),
                                              (r["server"], r["server_port"])]))
            if key not in index:
                continue
            view, rec = index[key]
            if not (view.payload_c2s or view.payload_s2c):
                continue
            per[r["protocol"]][1] += 1
            # "unknown" marks payload the generator knows is no protocol (e.g. a TURN
            # relay's test pattern): the right answer is no label.
            want = None if r["protocol"] == "unknown" or undetectable(r, view) else r["protocol"]
            if detected(rec) == want:
                per[r["protocol"]][0] += 1
            else:
                wrong.append((cap, r["protocol"], r.get("variant"), rec["protocol"], rec["source"]))
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
