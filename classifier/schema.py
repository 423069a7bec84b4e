"""The per-flow output record: the field names every format and later stage shares.

`flow_record` turns a Flow into the contract's fields, in order. Fields a stage has
not filled yet keep their neutral value: protocol "unknown", source "none",
confidence null, port_protocol null, verdict null, metadata {}.
"""
from __future__ import annotations

import socket
from typing import Any, Dict, List

# The contract, in output order. Later stages fill protocol..metadata.
FIELDS = (
    "capture", "ts_start", "ts_end", "transport", "client", "client_port", "server",
    "server_port", "vlan", "tunnel", "packets_c2s", "packets_s2c", "bytes_c2s", "bytes_s2c",
    "protocol", "source", "confidence", "port_protocol", "verdict", "metadata",
)

# What the fast path adds after the contract fields.
FLOW_EXTRA = ("end_reason", "tcp_flags", "payload")

SOURCES = ("dpi", "ml", "dpi+ml", "none")


def flow_record(flow) -> Dict[str, Any]:
    """The output record of a flow, before any labelling."""
    rec = {
        "capture": flow.capture,
        "ts_start": (flow._row["ts_start"] // 1000).item() / 1e6,
        "ts_end": (flow._row["ts_end"] // 1000).item() / 1e6,
        "transport": flow.transport,
        "client": flow.client,
        "client_port": flow.client_port,
        "server": flow.server,
        "server_port": flow.server_port,
        "vlan": flow.vlan,
        "tunnel": flow.tunnel,
        "packets_c2s": flow.packets_c2s,
        "packets_s2c": flow.packets_s2c,
        "bytes_c2s": flow.bytes_c2s,
        "bytes_s2c": flow.bytes_s2c,
        "protocol": "unknown",
        "source": "none",
        "confidence": None,
        "port_protocol": None,
        "verdict": None,
        "metadata": {},
        "end_reason": flow.end_reason,
    }
    if flow.transport == "tcp":
        rec["tcp_flags"] = {"c2s": flow.tcp_flags_c2s, "s2c": flow.tcp_flags_s2c}
    else:
        rec["tcp_flags"] = None
    pay = {"c2s": len(flow.payload_c2s), "s2c": len(flow.payload_s2c)}
    notes = sorted(set(flow.stream_flags_c2s) | set(flow.stream_flags_s2c))
    if notes:
        pay["notes"] = notes
    rec["payload"] = pay
    return rec


_FLAG_TEXT: List[str] = []       # TCP flags byte -> "FSPA"-style text, built once
_NOTES: List[Any] = []           # stream flag bits -> sorted note list (or None)


def _tables():
    from .flows import stream_flags_text, tcp_flags_text
    _FLAG_TEXT.extend(tcp_flags_text(b) for b in range(256))
    _NOTES.extend(sorted(stream_flags_text(b)) or None for b in range(256))


def batch_records(batch) -> List[Dict[str, Any]]:
    """The output records of a whole batch, built column-wise: the same dicts as
    `flow_record` gives one flow at a time, at a fraction of the cost per flow."""
    from .flows import END_REASONS, TRANSPORTS, tunnel_text
    if not _FLAG_TEXT:
        _tables()
    r = batch.records
    if len(r) == 0:
        return []
    ntop = socket.inet_ntop
    craw = r["client_addr"].tobytes()
    sraw = r["server_addr"].tobytes()
    v6 = (r["ipver"] == 6).tolist()
    transports = [TRANSPORTS.get(p) or f"ip-{p}" for p in range(256)]
    flags, notes = _FLAG_TEXT, _NOTES
    capture = batch.capture
    out = []
    append = out.append
    for i, (p, t0, t1, cp, sp, vl, tun, pc, ps, bc, bs, er, fc, fs, lc, ls, nc, ns) in enumerate(zip(
            r["proto"].tolist(), (r["ts_start"] // 1000).tolist(), (r["ts_end"] // 1000).tolist(),
            r["client_port"].tolist(), r["server_port"].tolist(), r["vlan"].tolist(), r["tunnel"].tolist(),
            r["packets_c2s"].tolist(), r["packets_s2c"].tolist(), r["bytes_c2s"].tolist(),
            r["bytes_s2c"].tolist(), r["end_reason"].tolist(), r["tcp_flags_c2s"].tolist(),
            r["tcp_flags_s2c"].tolist(), r["pay_len_c2s"].tolist(), r["pay_len_s2c"].tolist(),
            r["stream_flags_c2s"].tolist(), r["stream_flags_s2c"].tolist())):
        o = 16 * i
        if v6[i]:
            cli, srv = ntop(socket.AF_INET6, craw[o:o + 16]), ntop(socket.AF_INET6, sraw[o:o + 16])
        else:
            cli, srv = ntop(socket.AF_INET, craw[o:o + 4]), ntop(socket.AF_INET, sraw[o:o + 4])
        pay = {"c2s": lc, "s2c": ls}
        if nc | ns:
            pay["notes"] = notes[nc | ns]
        append({
            "capture": capture, "ts_start": t0 / 1e6, "ts_end": t1 / 1e6,
            "transport": transports[p], "client": cli, "client_port": cp, "server": srv,
            "server_port": sp, "vlan": None if vl < 0 else vl, "tunnel": tunnel_text(tun) if tun else None,
            "packets_c2s": pc, "packets_s2c": ps, "bytes_c2s": bc, "bytes_s2c": bs,
            "protocol": "unknown", "source": "none", "confidence": None, "port_protocol": None,
            "verdict": None, "metadata": {}, "end_reason": END_REASONS[er],
            "tcp_flags": {"c2s": flags[fc], "s2c": flags[fs]} if p == 6 else None,
            "payload": pay,
        })
    return out
