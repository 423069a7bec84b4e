"""Captures as the product labels them, for the tests that evaluate captures.

`analyzed(capture)` runs `FlowReader` + `Analyzer` the way `portlens analyze --ml off`
does (classifier.pipeline.analyze: the same batch size, `push` then `flush`, so FTP data
flows are tied to their control flow across batches) and returns each record with the
`Flow` it came from (for the tests that look at payload bytes).  The model is left out:
these tests measure the detectors (`source` is "dpi" or "none"); tests/goldens.py
renders the default output, model included.
"""
from __future__ import annotations

_REGISTRY = []


def _analyzer():
    from classifier.pipeline import Analyzer
    from classifier.ports import default_registry
    if not _REGISTRY:
        _REGISTRY.append(default_registry())
    return Analyzer(ml=None, registry=_REGISTRY[0])


def flow_key(x) -> tuple:
    """(transport, client, client_port, server, server_port) of a record or a Flow."""
    if isinstance(x, dict):
        return (x["transport"], x["client"], x["client_port"], x["server"], x["server_port"])
    return (x.transport, x.client, x.client_port, x.server, x.server_port)


def analyzed(capture: str) -> list:
    """[(record, Flow)] for every flow of the capture, in the order `portlens analyze`
    reports them; a damaged capture gives the flows read before the damage."""
    from classifier.flows import ANALYZE_BATCH, FlowReader
    analyzer = _analyzer()
    size, payload = ANALYZE_BATCH
    reader = FlowReader(capture, None, size, batch_payload=payload)
    recs, flows = [], {}
    for batch in reader.batches():
        for f in batch:
            flows.setdefault(flow_key(f), []).append(f)
        recs += analyzer.push(batch)
    recs += analyzer.flush()
    out = []
    for r in recs:
        same = flows.get(flow_key(r)) or [None]
        out.append((r, same.pop(0) if len(same) > 1 else same[0]))
    return out


def detected(rec):
    """The detectors' label of a record (None when they gave none)."""
    return rec["protocol"] if rec["source"] in ("dpi", "dpi+ml") else None
