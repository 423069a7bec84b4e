"""The per-flow output record: the field names every format and later stage shares.

`flow_record` turns a Flow into the contract's fields, in order. Fields a stage has
not filled yet keep their neutral value: protocol "unknown", source "none",
confidence null, port_protocol null, verdict null, metadata {}.
"""
from __future__ import annotations

from typing import Any, Dict

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
        "ts_start": round(flow.ts_start, 6),
        "ts_end": round(flow.ts_end, 6),
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
