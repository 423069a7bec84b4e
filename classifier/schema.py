"""The per-flow output record: the field names every format and later stage shares.

`batch_records` turns a batch of flows into the contract's fields, in order. Fields a stage has
not filled yet keep their neutral value: protocol "unknown", source "none",
confidence null, port_protocol null, verdict null, metadata {}.
"""
from __future__ import annotations

from typing import Any, Dict, List

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
    """The output records of a whole batch, one dict per flow, built in compiled code
    (classifier/_records.pyx) from the batch's columns (tests/detectors/test_compiled.py
    checks them against a pure-Python builder)."""
    from ._records import record_dicts
    from .detectors.engine import gc_paused
    with gc_paused():
        return record_dicts(batch.records, batch.capture, *_tables())
