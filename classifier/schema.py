"""The per-flow output record: the field names every format and later stage shares.

`flow_record` turns a Flow into the contract's fields, in order. Fields a stage has
not filled yet keep their neutral value: protocol "unknown", source "none",
confidence null, port_protocol null, verdict null, metadata {}.
"""
from __future__ import annotations

from typing import Any, Dict, List

from .communityid import community_id

# The contract, in output order. Later stages fill protocol..metadata.
FIELDS = (
    "capture", "ts_start", "ts_end", "transport", "client", "client_port", "server",
    "server_port", "vlan", "tunnel", "packets_c2s", "packets_s2c", "bytes_c2s", "bytes_s2c",
    "protocol", "source", "confidence", "port_protocol", "verdict", "metadata",
)

# What the fast path adds after the contract fields: the flow's Community ID v1
# (classifier/communityid.py; null for transports other than TCP, UDP and SCTP), then
# how it ended, its TCP flags and payload sizes.
FLOW_EXTRA = ("community_id", "end_reason", "tcp_flags", "payload")

# What later stages add after those, in this order (`flows` output has none of them):
# `ml` (classifier.ml.combine: {"protocol", "probability"} or null; absent with --ml off),
# then `port_service`, `port_class` and `verdict_reason` (classifier.verdict).
STAGE_FIELDS = ("ml", "port_service", "port_class", "verdict_reason")

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
        "community_id": community_id(flow.transport, flow.client, flow.server,
                                     flow.client_port, flow.server_port),
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


_TABLES: List[Any] = []          # byte value -> text: transport, tunnel, end reason, flags, notes


def _tables() -> List[Any]:
    if not _TABLES:
        from .flows import END_REASONS, TRANSPORTS, stream_flags_text, tcp_flags_text, tunnel_text
        _TABLES.extend([
            [TRANSPORTS.get(p) or f"ip-{p}" for p in range(256)],
            [tunnel_text(b) if b else None for b in range(256)],
            list(END_REASONS) + [None] * (256 - len(END_REASONS)),
            [tcp_flags_text(b) for b in range(256)],
            [sorted(stream_flags_text(b)) or None for b in range(256)],
        ])
    return _TABLES


def batch_records(batch) -> List[Dict[str, Any]]:
    """The output records of a whole batch: the same dicts as `flow_record` gives one
    flow at a time, built in compiled code (classifier/_records.pyx) from
    the batch's columns, at a fraction of the cost per flow."""
    from ._records import record_dicts
    from .detectors.engine import gc_paused
    with gc_paused():
        return record_dicts(batch.records, batch.capture, *_tables())
