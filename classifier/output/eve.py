"""Suricata EVE JSON `flow` events, one per line, so that pipelines built for Suricata
(Filebeat's suricata module, Elastic ingest pipelines, Logstash, Splunk's TA) take
portlens output the way they take Suricata's.

    {"timestamp":"2024-05-01T10:00:03.250000+0000","flow_id":1580968216911360,
     "event_type":"flow","src_ip":"10.0.0.1","src_port":40000,"dest_ip":"10.0.0.2",
     "dest_port":53,"proto":"TCP","app_proto":"http","community_id":"1:...",
     "flow":{"pkts_toserver":5,"pkts_toclient":3,"bytes_toserver":400,"bytes_toclient":900,
             "start":"...","end":"...","age":3,"state":"closed","reason":"timeout","alerted":false},
     "tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,...},
     "portlens":{"protocol":"http","verdict":"mismatch","verdict_reason":"53/tcp implies dns; payload is http",...}}

Field by field, after Suricata 7's flow logger:

* `timestamp`: the flow's last packet (Suricata stamps a flow event with the time it
  is logged, which in offline mode is packet time), "%Y-%m-%dT%H:%M:%S.%f+0000", UTC.
* `flow_id`: a stable id: the first 53 bits of a BLAKE2b hash of the capture name and
  the flow's tuple, VLAN and first timestamp. The same flow in the same capture always
  gets the same id; 53 bits keep it exact in JSON parsers that read numbers as doubles.
* `src_*` is the client, `dest_*` the server (Suricata's "to server" direction);
  ports are left out for transports without ports, as Suricata does for ICMP.
* `proto`: "TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP", ... (Suricata's names);
  unnamed IP protocols as a three-digit number.
* `app_proto`: Suricata's name where Suricata has one for the protocol (krb5, rfb,
  pgsql, jabber, ...; classifier/protocols.py, shown in docs/protocols.md), else portlens' canonical name;
  "failed" when the flow carried payload but nothing identified it (Suricata's word),
  left out when the flow carried no payload at all.
* `flow.state`: "closed" (TCP ended by FIN/RST), "established" (both sides sent), "new"
  (only the client sent); `flow.reason`: "timeout" (idle, active and closed timeouts),
  "forced" (evicted under memory pressure), "shutdown" (still open at end of input).
* `community_id`: Community ID v1 (seed 0) for TCP and UDP, the key Zeek, Suricata and
  Elastic (network.community_id) join flows on.
* `vlan`: [id] when the flow had a VLAN tag; `tunnel` stays under `portlens`.
* `portlens`: everything portlens adds, under one key: capture, protocol, source,
  confidence, port_protocol, port_service, port_class, verdict, verdict_reason,
  metadata (with the fingerprints ja4, ja3, ja3s, hassh, hassh_server where the
  detectors found them), end_reason, payload, tunnel, and any key a later stage adds
  (e.g. `ml`).
* the fingerprints are also copied to the top level as Suricata 7 names them:
  `tls.ja3.hash`, `tls.ja3s.hash`, `tls.ja4` (Suricata 7.0.x's `tls` event keys, here
  on the flow event), and `ssh.client.hassh.hash`, `ssh.server.hassh.hash`.

`EveWriter.write_stats(stats)` writes a Suricata-style `stats` event (`portlens live`
writes one periodically and one at the end), with the capture counters where
Suricata's pcap source puts them:

    {"timestamp":"...","event_type":"stats","stats":{"uptime":10,
     "capture":{"kernel_packets":2000000,"kernel_drops":0,"kernel_ifdrops":0},
     "decoder":{"pkts":2000000,"bytes":1234567,"invalid":0},
     "flow":{"total":..,"tcp":..,"udp":..,"other":..,"active":..},
     "portlens":{...every counter of LiveCapture.stats...}}}
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from ..communityid import IP_PROTO_NUMBERS, community_id  # noqa: F401  (re-exported)
from ..protocols import suricata_app_proto
from .jsonl import JsonlWriter

# Suricata 7's app_proto names where they differ from portlens' canonical names (the
# `suricata` column of the protocol table).
SURICATA_APP_PROTO = suricata_app_proto()

PROTO_NAMES = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "IPv6-ICMP", "sctp": "SCTP",
               "gre": "GRE", "esp": "ESP", "ah": "AH", "igmp": "IGMP", "ospf": "OSPF",
               "pim": "PIM", "vrrp": "VRRP", "udplite": "UDPLite", "ipv6": "IPv6"}

# TCP flag letters as classifier.flows prints them: bit 0 (FIN) .. bit 7 (CWR).
_TCP_FLAG_BITS = {ch: 1 << i for i, ch in enumerate("FSRPAUEC")}
_TCP_FLAG_NAMES = (("F", "fin"), ("S", "syn"), ("R", "rst"), ("P", "psh"), ("A", "ack"),
                   ("U", "urg"), ("E", "ecn"), ("C", "cwr"))

_MAPPED = {"ts_start", "ts_end", "client", "client_port", "server", "server_port", "vlan",
           "transport", "packets_c2s", "packets_s2c", "bytes_c2s", "bytes_s2c", "tcp_flags",
           "community_id"}

_FLOW_ID_MASK = (1 << 53) - 1


def eve_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def flow_id(rec: dict) -> int:
    key = "\x1f".join(str(rec.get(k)) for k in (
        "capture", "transport", "client", "client_port", "server", "server_port", "vlan", "ts_start"))
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _FLOW_ID_MASK


def _tcp_flags(text) -> int:
    return sum(_TCP_FLAG_BITS.get(ch, 0) for ch in set(text or ""))


def _state(rec: dict) -> str:
    if rec.get("transport") == "tcp" and rec.get("end_reason") == "closed":
        return "closed"
    return "established" if rec.get("packets_s2c") else "new"


_REASONS = {"idle-timeout": "timeout", "active-timeout": "timeout", "closed": "timeout",
            "evicted": "forced", "eof": "shutdown"}


def _fingerprints(ev: dict, meta) -> None:
    """The detectors' fingerprints where Suricata's tls and ssh events keep them, so
    pipelines that read `tls.ja3.hash` or `ssh.client.hassh.hash` find them."""
    if not isinstance(meta, dict):
        return
    tls = {}
    if "ja3" in meta:
        tls["ja3"] = {"hash": meta["ja3"]}
    if "ja3s" in meta:
        tls["ja3s"] = {"hash": meta["ja3s"]}
    if "ja4" in meta:
        tls["ja4"] = meta["ja4"]
    if tls:
        ev["tls"] = tls
    ssh = {side: {"hassh": {"hash": meta[key]}}
           for side, key in (("client", "hassh"), ("server", "hassh_server")) if key in meta}
    if ssh:
        ev["ssh"] = ssh


def eve_event(rec: dict) -> dict:
    transport = rec.get("transport") or ""
    has_ports = transport in ("tcp", "udp", "sctp")
    ev = {"timestamp": eve_time(rec["ts_end"]), "flow_id": flow_id(rec), "event_type": "flow"}
    if rec.get("vlan") is not None:
        ev["vlan"] = [rec["vlan"]]
    ev["src_ip"] = rec["client"]
    if has_ports:
        ev["src_port"] = rec["client_port"]
    ev["dest_ip"] = rec["server"]
    if has_ports:
        ev["dest_port"] = rec["server_port"]
    if transport in PROTO_NAMES:
        ev["proto"] = PROTO_NAMES[transport]
    elif transport.startswith("ip-") and transport[3:].isdigit():
        ev["proto"] = f"{int(transport[3:]):03d}"
    else:
        ev["proto"] = transport.upper()
    protocol = rec.get("protocol")
    if protocol and protocol != "unknown":
        ev["app_proto"] = SURICATA_APP_PROTO.get(protocol, protocol)
    else:
        pay = rec.get("payload") or {}
        if pay.get("c2s") or pay.get("s2c"):
            ev["app_proto"] = "failed"
    if has_ports:
        # The record's own (computed with the flow); a record from elsewhere gets one here.
        cid = rec["community_id"] if "community_id" in rec else \
            community_id(transport, rec["client"], rec["server"], rec["client_port"], rec["server_port"])
        if cid:
            ev["community_id"] = cid
    ev["flow"] = {
        "pkts_toserver": rec["packets_c2s"], "pkts_toclient": rec["packets_s2c"],
        "bytes_toserver": rec["bytes_c2s"], "bytes_toclient": rec["bytes_s2c"],
        "start": eve_time(rec["ts_start"]), "end": eve_time(rec["ts_end"]),
        "age": int(rec["ts_end"]) - int(rec["ts_start"]),
        "state": _state(rec), "reason": _REASONS.get(rec.get("end_reason"), "timeout"),
        "alerted": False,
    }
    flags = rec.get("tcp_flags")
    if transport == "tcp" and isinstance(flags, dict):
        ts, tc = _tcp_flags(flags.get("c2s")), _tcp_flags(flags.get("s2c"))
        tcp = {"tcp_flags": f"{ts | tc:02x}", "tcp_flags_ts": f"{ts:02x}", "tcp_flags_tc": f"{tc:02x}"}
        for letter, name in _TCP_FLAG_NAMES:
            if (ts | tc) & _TCP_FLAG_BITS[letter]:
                tcp[name] = True
        ev["tcp"] = tcp
    _fingerprints(ev, rec.get("metadata"))
    ev["portlens"] = {k: v for k, v in rec.items() if k not in _MAPPED}
    return ev


def eve_stats_event(stats: dict, ts: float = None) -> dict:
    """A Suricata-style `stats` event from `LiveCapture.stats` (or an offline reader's
    stats: then the capture counters are absent)."""
    import time
    s = dict(stats)
    ev = {"timestamp": eve_time(time.time() if ts is None else ts), "event_type": "stats"}
    body = {"uptime": int(s.get("uptime", 0))}
    if "received" in s:
        body["capture"] = {"kernel_packets": s["received"], "kernel_drops": s.get("kernel_drops", 0),
                           "kernel_ifdrops": s.get("interface_drops", 0)}
    body["decoder"] = {"pkts": s.get("packets", 0), "bytes": s.get("bytes", 0),
                       "invalid": sum(s.get(k, 0) for k in ("bad_link", "bad_ip", "bad_l4", "too_deep"))}
    body["flow"] = {"total": s.get("flows", 0), "tcp": s.get("flows_tcp", 0), "udp": s.get("flows_udp", 0),
                    "other": s.get("flows_other", 0), "active": s.get("live_flows", 0)}
    s["unsupported_link_types"] = {str(k): v for k, v in (s.get("unsupported_link_types") or {}).items()}
    body["portlens"] = s
    ev["stats"] = body
    return ev


class EveWriter(JsonlWriter):
    def write(self, rec):
        super().write(eve_event(rec))

    def write_stats(self, stats: dict, ts: float = None):
        """One `stats` event (event_type "stats") with these counters."""
        super().write(eve_stats_event(stats, ts))
