"""CSV: one header row, then one flat row per flow, for spreadsheets and `pandas.read_csv`.

Columns: the contract's fields in order (`metadata` as a JSON string at its place), the
verdict stage's additions, the model's label (`ml_protocol`, `ml_probability`), the
fast path's extras flattened (`community_id`, `end_reason`, `tcp_flags_c2s`,
`payload_c2s`, `payload_notes` joined
with ";", ...), and last `extra`: a JSON object of any other key a record carries, so
nothing is lost when a later stage adds one.  Null is an empty cell.

Spreadsheet formula injection: every text that comes from the capture (hostnames,
SNI, user agents, banners) is inside the `metadata` JSON, which starts with "{"; the
flat columns hold addresses, numbers and portlens' own names, so no cell can start
with "=", "+", "-" or "@" from attacker-controlled bytes.
"""
from __future__ import annotations

import csv
import json

from ..schema import FIELDS

ADDED = ("port_service", "port_class", "verdict_reason")
FLAT = ("ml_protocol", "ml_probability", "community_id", "end_reason", "tcp_flags_c2s", "tcp_flags_s2c",
        "payload_c2s", "payload_s2c", "payload_notes")
COLUMNS = tuple(FIELDS) + tuple(c for c in ADDED if c not in FIELDS) + FLAT + ("extra",)
_KNOWN = set(COLUMNS) | {"ml", "tcp_flags", "payload"}


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def flatten(rec: dict) -> list:
    row = {k: rec.get(k) for k in FIELDS}
    row["metadata"] = _json(rec.get("metadata") or {})
    for k in ADDED:
        row[k] = rec.get(k)
    ml = rec.get("ml")
    if isinstance(ml, dict):
        row["ml_protocol"], row["ml_probability"] = ml.get("protocol"), ml.get("probability")
    row["community_id"] = rec.get("community_id")
    row["end_reason"] = rec.get("end_reason")
    flags = rec.get("tcp_flags")
    if isinstance(flags, dict):
        row["tcp_flags_c2s"], row["tcp_flags_s2c"] = flags.get("c2s"), flags.get("s2c")
    pay = rec.get("payload")
    if isinstance(pay, dict):
        row["payload_c2s"], row["payload_s2c"] = pay.get("c2s"), pay.get("s2c")
        if pay.get("notes"):
            row["payload_notes"] = ";".join(pay["notes"])
    extra = {k: v for k, v in rec.items() if k not in _KNOWN}
    if ml is not None and not isinstance(ml, dict):
        extra["ml"] = ml
    row["extra"] = _json(extra) if extra else None
    return ["" if row.get(c) is None else row[c] for c in COLUMNS]


class CsvWriter:
    """The header row goes out with the first row, or at close() when there is none (a
    capture without flows is a header alone); a run that could open no capture closes
    no writer, so it prints no header for nothing."""

    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        self._csv = csv.writer(stream, lineterminator="\n")
        self._header = False

    def _start(self):
        if not self._header:
            self._header = True
            self._csv.writerow(COLUMNS)

    def write(self, rec):
        self._start()
        self._csv.writerow(flatten(rec))

    def close(self):
        self._start()
