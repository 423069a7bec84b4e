"""The analysis pipeline: a batch of flows in, labelled output records out.

Stages, each with one owner module and one job:

1. `classifier.schema.batch_records`  - the contract's fields from the fast path's records.
2. `classifier.detectors`              - payload detectors (source "dpi"). They see only
                                         payload bytes and packet sizes/directions.
3. `classifier.ml` (when enabled)      - the port-blind model (source "ml"), combined with
                                         the detectors' label by the rule in its module.
4. port registry and verdict           - what the server port implies, set beside the
                                         observed protocol. The only stage that reads ports.

`Analyzer.label(batch)` runs them in that order; the CLI and the library API call it.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence

from .schema import batch_records


def apply_dpi(recs: List[Dict[str, Any]], batch) -> None:
    """Fill protocol/source/confidence/metadata from the payload detectors.

    FTP data flows are linked to their control flow within the batch through the
    endpoints announced in the control channel's payload."""
    from .detectors import classify_batch
    for rec, lab in zip(recs, classify_batch(batch)):
        if lab is None or not lab.protocol:
            continue
        rec["protocol"] = lab.protocol
        rec["source"] = "dpi"
        rec["confidence"] = round(lab.confidence, 3)
        meta = dict(lab.metadata)
        if lab.conflicts:
            meta["conflicts"] = lab.conflicts
        rec["metadata"] = meta


class Analyzer:
    """Labels batches of flows: detectors, then the model (when given), then the port's
    claim and the verdict (when `verdicts`).

        analyzer = Analyzer(ml=MLStage(load(), "fallback"), registry=load_registry())
        for batch in FlowReader(path).batches():
            for rec in analyzer.label(batch): ...
    """

    def __init__(self, *, dpi: bool = True, ml=None, registry=None, verdicts: bool = True) -> None:
        self.dpi = dpi
        self.ml = ml                    # a classifier.ml.combine.MLStage, or None (--ml off)
        self.registry = registry        # a classifier.ports Registry; None: IANA's alone
        self.verdicts = verdicts

    @classmethod
    def from_options(cls, ml: str = "fallback", model: Optional[str] = None,
                     site_ports: Sequence[str] = ()) -> "Analyzer":
        """The analyzer the command-line options describe: `ml` off, fallback or all;
        `model` a model directory (default: the shipped one); `site_ports` TOML files.
        Raises PortlensError subclasses (one line naming the file) for a model or a
        site file that cannot be used."""
        from .ml.combine import MLStage
        from .ml.model import load
        from .ports import load_registry
        stage = None if ml == "off" else MLStage(load(model), ml)
        return cls(ml=stage, registry=load_registry(tuple(site_ports)))

    def label(self, batch) -> List[Dict[str, Any]]:
        recs = batch_records(batch)
        if self.dpi:
            apply_dpi(recs, batch)
        if self.ml is not None:
            self.ml.apply(recs, batch)
        if self.verdicts:
            from .verdict import annotate
            annotate(recs, self.registry)
        return recs


def analyze(path: str, config=None, *, ml: str = "fallback", model: Optional[str] = None,
            site_ports: Sequence[str] = ()) -> Iterator[Dict[str, Any]]:
    """Every flow of a capture as an output record (the fields of docs/output.md), for
    an engineer embedding portlens:

        import classifier
        for rec in classifier.analyze("capture.pcap"):
            if rec["verdict"] == "mismatch":
                print(rec["verdict_reason"])

    Raises classifier.errors.CaptureError when the file cannot be opened, and when
    reading stops on damage after the flows read before it were given."""
    from .errors import CaptureError
    from .flows import FlowReader
    analyzer = Analyzer.from_options(ml=ml, model=model, site_ports=site_ports)
    reader = FlowReader(path, config)
    for batch in reader.batches():
        yield from analyzer.label(batch)
    if reader.error:
        raise CaptureError(reader.path, reader.error)
