"""The flows the fast path finds in ../shared/ndpi-dev against nDPI's reference list.

At least 99% of the TCP/UDP flows nDPI lists must be found with the same 5-tuple
(endpoints unordered: nDPI prints its own side first). nDPI prints IPv6 addresses with
every run of zero groups compressed, even single groups and even twice
("2600:1901::7a0b::"), so both spellings are compared. Run this file as a script to
list the flows that differ.
"""
import collections
import ipaddress
import json
import os
import sys

import pytest

from classifier.flows import FlowReader
from refdata import NDPI_DIR, NDPI_PCAPS, needs_ndpi


def ndpi_style(addr):
    """How nDPI's printer spells an IPv6 address: each run of zero groups becomes '::'."""
    if ":" not in addr:
        return addr
    groups = ipaddress.IPv6Address(addr).exploded.split(":")
    out, zero_run = [], False
    for g in groups:
        if int(g, 16) == 0:
            if not zero_run:
                out.append("")
            zero_run = True
        else:
            out.append("%x" % int(g, 16))
            zero_run = False
    text = ":".join(out)
    if out[0] == "":
        text = ":" + text
    if out[-1] == "":
        text += ":"
    return text.replace(":::", "::")


def canon(addr):
    try:
        return ipaddress.ip_address(addr).compressed
    except ValueError:
        return addr


def compare():
    labels = collections.defaultdict(list)
    with open(os.path.join(NDPI_DIR, "labels.jsonl")) as fh:
        for line in fh:
            d = json.loads(line)
            if d["l4"] in ("TCP", "UDP"):
                labels[d["pcap"]].append(d)
    total = found = 0
    missing, ours_only = [], 0
    for name, rows in sorted(labels.items()):
        ours = collections.Counter()
        for f in FlowReader(os.path.join(NDPI_PCAPS, name)):
            if f.transport in ("tcp", "udp"):
                for spell in {(canon(f.client), canon(f.server)), (ndpi_style(f.client), ndpi_style(f.server))}:
                    ours[(f.transport, frozenset([(spell[0], f.client_port), (spell[1], f.server_port)]))] += 1
        for d in rows:
            total += 1
            k = (d["l4"].lower(), frozenset([(canon(d["a"]), d["a_port"]), (canon(d["b"]), d["b_port"])]))
            if ours[k] > 0:
                found += 1
                ours[k] -= 1
            else:
                missing.append((name, d["l4"], d["a"], d["a_port"], d["b"], d["b_port"], d["tunnel"]))
    return total, found, missing


@needs_ndpi
def test_flow_tuples_match_ndpi():
    total, found, missing = compare()
    assert total > 2000
    assert found / total >= 0.99, missing


if __name__ == "__main__":
    t, f, miss = compare()
    print(f"{f}/{t} = {100.0 * f / t:.2f}% of nDPI's TCP/UDP flows found")
    for m in miss:
        print(*m)
