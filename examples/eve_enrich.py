#!/usr/bin/env python3
"""Enrich a Suricata eve.json stream with portlens's verdicts, joined on Community ID.

    python examples/eve_enrich.py capture.pcap < eve.json > enriched.json
    python examples/eve_enrich.py capture.pcap --eve eve.json

portlens reads the same capture Suricata read; every EVE event that carries a
`community_id` (Suricata writes it with `community-id: true` in its eve-log output)
gets a `portlens` object: the protocol the payload shows, who said so, the protocol the
server port claims and the verdict. Events are passed through in their order, one line
each, untouched otherwise; events without a match are passed through as they are.

Community ID names a 5-tuple, not one connection: when a tuple was reused, the flow
whose start is nearest the event's `flow.start` (or `timestamp`) is taken.

Where both ends have the same address (loopback), Suricata (7.0) orders the tuple by
the ports' bytes as they lie in memory, not by their value as the Community ID spec
does, so its ID can be the other order's: such flows are filed under both orders.
"""
import argparse
import base64
import hashlib
import ipaddress
import json
import struct
import sys
from datetime import datetime

from classifier.api import analyze
from classifier.output.eve import community_id


def eve_seconds(text):
    """Suricata's timestamp ("2024-05-01T10:00:00.123456+0000") as epoch seconds."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except (TypeError, ValueError):
        return None


def _both_orders(flow):
    """The Community IDs of a same-address flow's tuple taken in either port order."""
    proto = {"tcp": 6, "udp": 17}.get(flow.transport)
    if proto is None or flow.client != flow.server:
        return []
    a = ipaddress.ip_address(flow.client).packed
    return ["1:" + base64.b64encode(hashlib.sha1(b"\0\0" + a + a + struct.pack(">BBHH", proto, 0, p, q)).digest()).decode()
            for p, q in ((flow.client_port, flow.server_port), (flow.server_port, flow.client_port))]


def verdicts_by_community_id(captures):
    """community_id -> [(ts_start, portlens summary)] for every TCP/UDP flow."""
    table = {}
    for flow in analyze(captures):
        cid = community_id(flow.transport, flow.client, flow.server, flow.client_port, flow.server_port)
        if cid is None:
            continue
        summary = (flow.ts_start, {
            "protocol": flow.protocol, "source": flow.source, "confidence": flow.confidence,
            "port_protocol": flow.port_protocol, "verdict": flow.verdict,
            "verdict_reason": flow.verdict_reason, "metadata": flow.metadata,
        })
        for key in {cid, *_both_orders(flow)}:
            table.setdefault(key, []).append(summary)
    return table


def enrich(lines, table):
    """Yield each EVE line, with a `portlens` object where its community_id matches."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            yield line                                  # not ours to judge: pass it on
            continue
        hits = table.get(ev.get("community_id")) if isinstance(ev, dict) else None
        if hits:
            when = eve_seconds((ev.get("flow") or {}).get("start")) or eve_seconds(ev.get("timestamp"))
            best = min(hits, key=lambda h: abs(h[0] - when)) if when is not None else hits[0]
            ev["portlens"] = best[1]
        yield json.dumps(ev, default=str)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("captures", nargs="+", help="the capture(s) Suricata read")
    ap.add_argument("--eve", help="eve.json to read (default: standard input)")
    args = ap.parse_args(argv)
    table = verdicts_by_community_id(args.captures)
    src = open(args.eve, encoding="utf-8") if args.eve else sys.stdin
    joined = total = 0
    with src:
        for out in enrich(src, table):
            total += 1
            joined += '"portlens":' in out
            print(out)
    print(f"{joined} of {total} events joined", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
