#!/usr/bin/env python3
"""Derive portlens' shipped port table from the IANA Service Name and Transport
Protocol Port Number Registry (the CSV that IANA publishes).

    python3 tools/build_port_table.py ../shared/data/iana-service-names-port-numbers.csv
    python3 tools/build_port_table.py CSV --date 2024-05-02 --out classifier/ports/iana-ports.json.gz

The output is a gzipped JSON document: the registry's date and the CSV's SHA-256, then
one row per CSV line that has a port number:

    [low port, high port, transport, service name, description, status]

- transport is "tcp", "udp", "sctp", "dccp", or "" when IANA gives none (the entry then
  holds for every transport; IANA writes unassigned ranges and a few old entries so);
- status is "assigned" (the line names a service), "reserved" or "unassigned" (no
  service name; IANA's description says which, e.g. "Reserved", "Unassigned",
  "De-registered");
- descriptions are whitespace-normalised (the CSV's quoted fields span lines).

Service-name-only lines (no port, e.g. names used in DNS SRV records) are dropped: the
table answers "what is registered on this port", and the names without a port answer
nothing there.

The CSV carries no publication date of its own. Unless --date is given, the registry's
date is the latest Registration or Modification Date found in it, which is the day of
the newest change the file contains (IANA updates the file when an entry changes).

The output is deterministic (sorted rows, gzip mtime 0), so rebuilding from the same
CSV gives the same bytes and a diff of the table is a diff of the registry.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "classifier", "ports", "iana-ports.json.gz")
SOURCE_URL = "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv"
TRANSPORTS = ("tcp", "udp", "sctp", "dccp", "")

# Descriptions of unnamed lines that mean "nothing is registered here, and nothing is
# held back either"; any other unnamed line is held back by IANA ("Reserved", "IANA
# Reserved", "any private mail system", ...).
_UNASSIGNED = re.compile(r"unassigned|de-?registered|removed|deprecated|decom+is+ioned", re.I)


def _status(service: str, description: str) -> str:
    if service:
        return "assigned"
    return "unassigned" if _UNASSIGNED.search(description) else "reserved"


def _ports(text: str, lineno: int):
    lo, _, hi = text.partition("-")
    lo, hi = int(lo), int(hi or lo)
    if not 0 <= lo <= hi <= 65535:
        raise ValueError(f"line {lineno}: bad port range {text!r}")
    return lo, hi


def build(csv_bytes: bytes, date: str | None = None) -> dict:
    text = csv_bytes.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    need = {"Service Name", "Port Number", "Transport Protocol", "Description",
            "Registration Date", "Modification Date"}
    missing = need - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"not the IANA port registry CSV: missing columns {sorted(missing)}")
    rows = []
    newest = ""
    for rec in reader:
        for key in ("Registration Date", "Modification Date"):
            d = (rec.get(key) or "").strip()
            if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", d) and d > newest:
                newest = d
        port = (rec["Port Number"] or "").strip()
        if not port:
            continue
        lineno = reader.line_num
        lo, hi = _ports(port, lineno)
        transport = (rec["Transport Protocol"] or "").strip().lower()
        if transport not in TRANSPORTS:
            raise ValueError(f"line {lineno}: unknown transport {transport!r}")
        service = (rec["Service Name"] or "").strip()
        description = " ".join((rec["Description"] or "").split())
        rows.append([lo, hi, transport, service, description, _status(service, description)])
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[5] != "assigned", r[3]))
    return {
        "source": "IANA Service Name and Transport Protocol Port Number Registry",
        "url": SOURCE_URL,
        "date": date or newest,
        "date_rule": "given on the command line" if date else
                     "latest Registration/Modification Date in the CSV",
        "csv_sha256": hashlib.sha256(csv_bytes).hexdigest(),
        "columns": ["low", "high", "transport", "service", "description", "status"],
        "rows": rows,
    }


def encode(table: dict) -> bytes:
    raw = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", help="the IANA registry CSV (service-names-port-numbers.csv)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="where to write (default: the package's table)")
    ap.add_argument("--date", help="the registry's date (YYYY-MM-DD) when known from elsewhere")
    args = ap.parse_args(argv)
    with open(args.csv, "rb") as fh:
        data = fh.read()
    try:
        table = build(data, args.date)
    except ValueError as e:
        print(f"build_port_table: {args.csv}: {e}", file=sys.stderr)
        return 1
    blob = encode(table)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(blob)
    os.replace(tmp, args.out)
    assigned = sum(1 for r in table["rows"] if r[5] == "assigned")
    print(f"{args.out}: {len(table['rows'])} rows ({assigned} assigned), registry date {table['date']}, "
          f"{len(blob)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
