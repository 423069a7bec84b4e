"""Apache Parquet (pyarrow): the flow records as a typed columnar file, for DuckDB,
pandas, Polars and Spark.  `-o FILE.parquet` is required: Parquet is binary and ends
with a footer, so it is refused on stdout (a usage error, exit 2).

The same records as `jsonl`, one row each, in columns with real types (the schema is
SCHEMA below and in docs/output.md): timestamps as timestamp[us, UTC], ports uint16,
counters uint64, confidence float64; `metadata` as JSON text (the whole dict, so
nothing is lost whatever a detector adds) and its most queried fields promoted to
columns of their own: `sni` and the fingerprints `ja4`, `ja3`, `ja3s`, `hassh`,
`hassh_server`.  Keys no column holds go to `extra` (JSON), as in csv.

Rows are buffered and written as one row group every ROW_GROUP records (and at the
end), so memory stays bounded on any capture and readers can skip row groups.
pyarrow is an optional dependency (`pip install portlens[parquet]`): without it this
format is a one-line usage error.
"""
from __future__ import annotations

import json
import sys

from ..errors import PortlensError
from ..ports import ConfigError

ROW_GROUP = 65536
PROMOTED = ("sni", "ja4", "ja3", "ja3s", "hassh", "hassh_server")
# Record keys with a column of their own (nested ones flattened); the rest -> `extra`.
_KNOWN = {"capture", "ts_start", "ts_end", "transport", "client", "client_port", "server",
          "server_port", "vlan", "tunnel", "packets_c2s", "packets_s2c", "bytes_c2s", "bytes_s2c",
          "protocol", "source", "confidence", "port_protocol", "verdict", "metadata",
          "community_id", "end_reason", "tcp_flags", "payload", "ml", "port_service",
          "port_class", "verdict_reason"}


def _pa():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError("--format parquet needs pyarrow: pip install 'portlens[parquet]'") from None
    return pyarrow


def schema():
    """The file's columns, in this order (docs/output.md lists them)."""
    pa = _pa()
    s, u16, u32, u64 = pa.string(), pa.uint16(), pa.uint32(), pa.uint64()
    ts = pa.timestamp("us", tz="UTC")
    return pa.schema([
        ("capture", pa.dictionary(pa.int32(), s)), ("ts_start", ts), ("ts_end", ts),
        ("transport", s), ("client", s), ("client_port", u16), ("server", s), ("server_port", u16),
        ("vlan", u16), ("tunnel", s),
        ("packets_c2s", u64), ("packets_s2c", u64), ("bytes_c2s", u64), ("bytes_s2c", u64),
        ("protocol", s), ("source", s), ("confidence", pa.float64()),
        ("port_protocol", s), ("verdict", s), ("metadata", s),
        ("sni", s), ("ja4", s), ("ja3", s), ("ja3s", s), ("hassh", s), ("hassh_server", s),
        ("community_id", s), ("end_reason", s), ("tcp_flags_c2s", s), ("tcp_flags_s2c", s),
        ("payload_c2s", u32), ("payload_s2c", u32), ("payload_notes", pa.list_(s)),
        ("ml_protocol", s), ("ml_probability", pa.float64()),
        ("port_service", s), ("port_class", s), ("verdict_reason", s), ("extra", s),
    ])


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _us(ts):
    return None if ts is None else round(ts * 1_000_000)


def _port(v):
    # As the records say (0 for transports without ports, as in jsonl).
    return v if isinstance(v, int) and 0 <= v <= 65535 else None


class ParquetWriter:
    binary = True           # needs a file: the CLI refuses stdout (see __init__)

    def __init__(self, stream, color=False, meta=None):
        # open_output's stream for stdout is named "<stdout>" (output.STDOUT)
        if stream is sys.stdout or stream is sys.__stdout__ or getattr(stream, "name", None) == "<stdout>" \
                or not hasattr(stream, "buffer"):
            raise ConfigError("--format parquet writes a binary file: give -o FILE.parquet")
        pa = _pa()
        self._pa = pa
        self._schema = schema()
        self._names = self._schema.names
        self._cols = {n: [] for n in self._names}
        self._rows = 0
        stream.flush()
        self._file = stream.buffer          # the binary file under open_output's text stream
        self._writer = pa.parquet.ParquetWriter(self._file, self._schema, compression="zstd")

    def write(self, rec):
        c = self._cols
        meta = rec.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        flags = rec.get("tcp_flags") if isinstance(rec.get("tcp_flags"), dict) else {}
        pay = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
        ml = rec.get("ml") if isinstance(rec.get("ml"), dict) else {}
        for name in ("capture", "transport", "client", "server", "tunnel", "packets_c2s",
                     "packets_s2c", "bytes_c2s", "bytes_s2c", "protocol", "source", "confidence",
                     "port_protocol", "verdict", "community_id", "end_reason", "port_service",
                     "port_class", "verdict_reason"):
            c[name].append(rec.get(name))
        c["ts_start"].append(_us(rec.get("ts_start")))
        c["ts_end"].append(_us(rec.get("ts_end")))
        c["client_port"].append(_port(rec.get("client_port")))
        c["server_port"].append(_port(rec.get("server_port")))
        c["vlan"].append(rec.get("vlan"))
        c["metadata"].append(_json(meta))
        for k in PROMOTED:
            v = meta.get(k)
            c[k].append(v if isinstance(v, str) else None)
        c["tcp_flags_c2s"].append(flags.get("c2s"))
        c["tcp_flags_s2c"].append(flags.get("s2c"))
        c["payload_c2s"].append(pay.get("c2s"))
        c["payload_s2c"].append(pay.get("s2c"))
        c["payload_notes"].append(pay.get("notes"))
        c["ml_protocol"].append(ml.get("protocol"))
        c["ml_probability"].append(ml.get("probability"))
        extra = {k: v for k, v in rec.items() if k not in _KNOWN}
        if "ml" in rec and not isinstance(rec.get("ml"), dict) and rec.get("ml") is not None:
            extra["ml"] = rec["ml"]
        c["extra"].append(_json(extra) if extra else None)
        self._rows += 1
        if self._rows >= ROW_GROUP:
            self._flush()

    def _flush(self):
        if not self._rows:
            return
        pa = self._pa
        try:
            table = pa.Table.from_pydict(self._cols, schema=self._schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
            raise PortlensError(f"parquet: a record does not fit the schema: {e}") from None
        self._writer.write_table(table, row_group_size=self._rows)
        self._cols = {n: [] for n in self._names}
        self._rows = 0

    def close(self):
        self._flush()
        self._writer.close()
        self._file.flush()
