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

from typing import Any, Dict, List

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
    """Labels batches of flows. Stages are added as they are configured."""

    def __init__(self, dpi: bool = True) -> None:
        self.dpi = dpi

    def label(self, batch) -> List[Dict[str, Any]]:
        recs = batch_records(batch)
        if self.dpi:
            apply_dpi(recs, batch)
        return recs
