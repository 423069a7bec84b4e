"""The model beside the payload detectors: which flows it sees and how the two opinions
combine into a flow's `protocol` and `source`.

`MLStage.apply(recs, batch)` runs after the detectors filled each record (`protocol`,
`source` "dpi" or "none", `confidence`, `metadata`). Modes (`--ml`):

* `off`       no stage at all (`from_args` returns None); records carry no `ml` key.
* `fallback`  (default) the model runs on the flows the detectors left "unknown".
* `all`       the model runs on every flow, as a second opinion on labelled ones too.

Every record gets `ml`: None when the model did not run on the flow (mode fallback and
the detectors spoke, or nothing it could look at: not TCP/UDP, no payload byte, or a
lone packet: `runs_on`), else
`{"protocol": P, "probability": p}` where p is the model's probability for its most
likely class, and P that class, or "unknown" when p is below the model's calibrated
threshold (models/manifest.json).

The rule (detectors first: they parse the protocol, the model only resembles it):

| detectors       | model            | protocol   | source   | also                         |
|-----------------|------------------|------------|----------|------------------------------|
| X               | X                | X          | "dpi+ml" |                              |
| X               | Y (not unknown)  | X          | "dpi"    | metadata.ml_disagrees = Y    |
| X               | unknown / not run| X          | "dpi"    |                              |
| unknown         | Y (not unknown)  | Y          | "ml"     | confidence = p               |
| unknown         | unknown / not run| unknown    | "none"   |                              |
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from . import features
from .model import UNKNOWN, Model, load

MODES = ("off", "fallback", "all")


class MLStage:
    def __init__(self, model: Model, mode: str = "fallback") -> None:
        if mode == "off":
            raise ValueError("ML mode 'off' runs no model stage: give the analyzer ml=None "
                             "(an MLStage runs in mode fallback or all)")
        if mode not in MODES:
            raise ValueError(f"ML mode {mode!r}: expected one of {', '.join(MODES)}")
        self.model = model
        self.mode = mode

    @classmethod
    def from_args(cls, args) -> Optional["MLStage"]:
        """The stage `--ml` and `--model` ask for, or None for `--ml off`. Raises
        ModelError (a PortlensError: one line naming the file) when the model cannot be
        used."""
        mode = getattr(args, "ml", None) or "fallback"
        if mode == "off":
            return None
        return cls(load(getattr(args, "model", None)), mode)

    def apply(self, recs: List[Dict[str, Any]], batch) -> None:
        r = batch.records
        run = runs_on(r)
        if self.mode == "fallback":
            run &= np.array([rec["protocol"] for rec in recs], dtype=object) == UNKNOWN
        for rec in recs:
            rec["ml"] = None
        idx = np.flatnonzero(run)
        if not len(idx):
            return
        labels, probs = self.model.predict(features.extract_records(r[idx], batch.payload))
        for i, lab, p in zip(idx.tolist(), labels.tolist(), probs.tolist()):
            combine(recs[i], lab, round(p, 3))


def runs_on(records: np.ndarray) -> np.ndarray:
    """The flows the model is asked about: TCP or UDP with payload (features.eligible)
    and at least two packets. A lone packet gives the model one payload and one size,
    which the detectors judge better: on random single datagrams every guess it made
    was wrong (rtcp, coap), and lone packets are what floods are made of, so skipping
    them makes a flood cheap. Training keeps features.eligible (the shipped model was
    trained with lone packets too)."""
    two = (records["packets_c2s"].astype(np.uint64) + records["packets_s2c"]) >= 2
    return features.eligible(records) & two


def combine(rec: Dict[str, Any], ml_protocol: str, probability: float) -> None:
    """One record, one model opinion: the table in the module docstring."""
    rec["ml"] = {"protocol": ml_protocol, "probability": probability}
    if ml_protocol == UNKNOWN:
        return
    if rec["protocol"] == UNKNOWN:
        rec["protocol"] = ml_protocol
        rec["source"] = "ml"
        rec["confidence"] = probability
    elif rec["protocol"] == ml_protocol:
        rec["source"] = "dpi+ml"
    else:
        meta = rec.get("metadata")
        if not isinstance(meta, dict):
            meta = rec["metadata"] = {}
        meta["ml_disagrees"] = ml_protocol
