#!/usr/bin/env python3
"""Fuzz the whole analysis: bytes -> a capture file -> FlowReader -> Analyzer -> every
output format.

For each input the bytes are written to an in-memory file and analysed as
`portlens analyze` does: `FlowReader` batches (small ones, 16 flows, so that FTP data
flows are tied to control flows across batches too) go through `Analyzer.push`
(detectors under PORTLENS_STRICT_PROBES=1, the shipped model as `--ml fallback`, the
port registry and the verdicts) and `Analyzer.flush`, and every record goes to every
writer of `classifier.output.WRITERS` (table with and without colour, jsonl, csv, eve,
html) writing to an `io.StringIO`; each writer gets `add_capture` (when it has one)
and `close`. The jsonl and eve outputs must be one JSON object per record, the csv one
row per record after its header.

Expected: `classifier.errors.CaptureError` when a file cannot be opened. Anything else
(a probe's exception, a writer's, a malformed output) and any sanitizer report is a
crash.

    python fuzz/fuzz_pipeline.py fuzz/corpus/pipeline -max_len=65536   # see fuzz/README.md
"""
import copy
import csv
import io
import json
import sys

import _harness

with _harness.instrumented():
    _harness.import_all()
    from classifier.errors import CaptureError
    from classifier.flows import FlowReader
    from classifier.output import WRITERS
    from classifier.pipeline import Analyzer

# Loading the model and the registry once; each input gets a fresh Analyzer around them,
# so no state (held flows, FTP announcements) carries from one input to the next.
BASE = Analyzer.from_options(ml="fallback")
META = {"registry_date": BASE.registry.date, "registry_source": BASE.registry.source,
        "site_files": list(BASE.registry.site_files)} if BASE.registry is not None else {}
SCRATCH = _harness.Scratch("pipeline")


def _reuse_jinja_environments():
    """HtmlWriter.render builds a new jinja2.Environment, so the report template is
    compiled again on every call: about 45 ms, nine tenths of this harness's time per
    input (once per run in the CLI, harmless there). The harness hands render one
    Environment per configuration, built once; the template is still rendered with
    each input's data by the same code."""
    import jinja2
    real, made = jinja2.Environment, {}

    def environment(*args, **kw):
        loader = kw.get("loader")
        key = (args, type(loader), tuple(getattr(loader, "searchpath", ())),
               tuple(sorted((k, v) for k, v in kw.items() if k != "loader")))
        env = made.get(key)
        if env is None:
            env = made[key] = real(*args, **kw)
        return env
    jinja2.Environment = environment


_reuse_jinja_environments()
FORMATS = [(name, False) for name in WRITERS] + [("table", True)]


def records_of(path):
    try:
        reader = FlowReader(path, batch_size=16)
    except CaptureError:
        return None, None
    analyzer = Analyzer(ml=BASE.ml, registry=BASE.registry)
    recs = []
    for batch in reader.batches():
        recs += analyzer.push(batch)
    recs += analyzer.flush()
    analyzer.take_probe_errors()
    return recs, reader


def check_lines(name, text, n):
    # Split at "\n" only: JSON may carry U+0085 or U+2028 raw inside a string (a banner
    # decoded as latin-1), which str.splitlines() would take for line ends.
    lines = text.split("\n")
    if lines[-1] != "":
        raise AssertionError(f"{name}: output does not end with a newline: {text[-200:]!r}")
    lines.pop()
    if len(lines) != n:
        raise AssertionError(f"{name}: {len(lines)} lines for {n} records")
    for line in lines:
        if not isinstance(json.loads(line), dict):
            raise AssertionError(f"{name}: a line is not a JSON object: {line[:200]!r}")


def TestOneInput(data):
    path = SCRATCH.write(data)
    recs, reader = records_of(path)
    if recs is None:
        return
    for name, color in FORMATS:
        binary = getattr(WRITERS[name], "binary", False)
        # A binary format (parquet) writes to the file under the text stream, as it does
        # under open_output: a text wrapper over an in-memory byte buffer.
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="") if binary else io.StringIO()
        writer = WRITERS[name](out, color=color, meta=dict(META))
        for rec in recs:
            writer.write(copy.deepcopy(rec))
        if hasattr(writer, "add_capture"):
            writer.add_capture(path, dict(reader.stats), reader.error)
        writer.close()
        if binary:
            out.flush()
            data = out.buffer.getvalue()
            if name == "parquet" and not (data[:4] == data[-4:] == b"PAR1"):
                raise AssertionError("parquet: the file lacks its PAR1 header or footer")
            continue
        text = out.getvalue()
        if name in ("jsonl", "eve"):
            check_lines(name, text, len(recs))
        elif name == "csv":
            rows = list(csv.reader(io.StringIO(text, newline="")))
            if len(rows) != len(recs) + 1:
                raise AssertionError(f"csv: {len(rows)} rows for {len(recs)} records and a header")
        elif name == "html" and "</html>" not in text:
            raise AssertionError("html: the report does not end its document")


def main():
    import atheris      # here, not at the top: fuzz/replay.py imports this file without it

    _harness.announce("fuzz_pipeline")
    atheris.Setup(sys.argv, _harness.guard(TestOneInput))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
