"""Print the corpus coverage from the manifest, per protocol, then the totals:
``python3 pcaps/gen/summary.py [pcaps/corpus/manifest.jsonl]``.  pcaps/README.md points
here instead of pasting the table (which every new protocol would have to edit)."""

import json
import os
import sys
from collections import defaultdict


def main(path):
    caps, flows, variants, modes = defaultdict(set), defaultdict(int), defaultdict(set), defaultdict(set)
    software = defaultdict(set)
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            p = r["protocol"]
            caps[p].add(r["capture"])
            flows[p] += 1
            if r["variant"]:
                variants[p].add(r["variant"])
            modes[p].add(r["port_mode"])
            software[p].add(r["server_software"])
    print("| protocol | captures | flows | servers | port modes | variants |")
    print("|---|---|---|---|---|---|")
    for p in sorted(caps):
        print(f"| {p} | {len(caps[p])} | {flows[p]} | {', '.join(sorted(software[p]))} | "
              f"{', '.join(sorted(modes[p]))} | {', '.join(sorted(variants[p]))} |")
    total_caps = len(set().union(*caps.values()))
    print(f"\n{total_caps} captures, {sum(flows.values())} flows, "
          f"{len([p for p in caps if p != 'unknown'])} protocols.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(os.path.dirname(__file__), os.pardir, "corpus", "manifest.jsonl"))
