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

import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from ._paths import as_paths
from .schema import batch_records


def apply_dpi(recs: List[Dict[str, Any]], batch, engine=None) -> None:
    """Fill protocol/source/confidence/metadata from the payload detectors (`engine`,
    a classifier.detectors.engine.Engine, e.g. one with site rules from
    detectors.rules.engine_with_rules; None: the process-wide default one).

    FTP data flows are linked to their control flow within the batch through the
    endpoints announced in the control channel's payload."""
    from .detectors import classify_batch
    for rec, lab in zip(recs, classify_batch(batch, engine)):
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
    """Labels batches of flows: detectors, then the model (when given), then the
    port-implied protocol and the verdict (when `verdicts`).

        analyzer = Analyzer(ml=MLStage(load(), "fallback"), registry=load_registry())
        for batch in FlowReader(path).batches():
            for rec in analyzer.label(batch): ...
    """

    def __init__(self, *, dpi: bool = True, ml=None, registry=None, verdicts: bool = True,
                 engine=None, min_confidence: float = 0.0) -> None:
        self.dpi = dpi
        # The detectors' engine (its candidate memo and probe-error counts are mutable):
        # one with site rules (detectors.rules.engine_with_rules), or None to share the
        # process-wide default_engine(); classifier.api.Classifier gives each instance
        # its own, so that two instances in two threads share no state.
        self.engine = engine
        self.ml = ml                    # a classifier.ml.combine.MLStage, or None (--ml off)
        self.registry = registry        # a classifier.ports Registry; None: IANA's alone
        self.verdicts = verdicts
        # a model-only label below this probability makes no verdict (verdict.annotate)
        self.min_confidence = float(min_confidence)
        self._held: List = []       # (record, flows pushed up to its batch), oldest first
        self._seen = 0              # flows pushed in this capture
        self.probe_errors: Dict[str, list] = {}    # detector -> [count, first message]

    @classmethod
    def from_options(cls, ml: str = "fallback", model: Optional[str] = None,
                     site_ports: Union[str, Sequence[str]] = (),
                     rules: Union[str, Sequence[str]] = (), min_confidence: float = 0.0) -> "Analyzer":
        """The analyzer the command-line options describe: `ml` off, fallback or all;
        `model` a model directory (default: the shipped one); `site_ports` and `rules`
        (site rules, detectors/rules.py) TOML files (one file may be given as a plain
        string); `min_confidence`: a model-only label below it makes no verdict
        (classifier.verdict). Raises ValueError for an `ml` that is none of the three, and
        PortlensError subclasses (one line naming the file) for a model, a site file or
        a rules file that cannot be used."""
        from .detectors.rules import engine_with_rules
        from .ml.combine import MODES, MLStage
        from .ports import load_registry
        if ml not in MODES:
            raise ValueError(f"ml={ml!r}: expected one of {', '.join(MODES)}")
        site = as_paths(site_ports, "site_ports")
        engine = engine_with_rules(tuple(as_paths(rules, "rules")))
        if ml == "off":
            stage = None
        else:
            from .ml.model import load
            stage = MLStage(load(model), ml)
        if not 0.0 <= float(min_confidence) <= 1.0:
            raise ValueError(f"min_confidence={min_confidence!r}: expected a probability between 0 and 1")
        return cls(ml=stage, registry=load_registry(site), engine=engine, min_confidence=min_confidence)

    def label(self, batch) -> List[Dict[str, Any]]:
        """The records of one batch, labelled on their own (FTP data flows are tied to
        a control flow of the same batch only; `push` also looks across batches)."""
        recs = batch_records(batch)
        if self.dpi:
            engine = self.engine
            if engine is None:
                from .detectors.engine import default_engine
                engine = default_engine()
            apply_dpi(recs, batch, engine)
            for name, (n, msg) in engine.take_errors().items():
                seen = self.probe_errors.setdefault(name, [0, msg])
                seen[0] += n
        if self.ml is not None:
            self.ml.apply(recs, batch)
        if self.verdicts:
            from .verdict import annotate
            annotate(recs, self.registry, self.min_confidence)
        return recs

    def fresh(self) -> "Analyzer":
        """Another analyzer over the same detectors' engine, model and registry, with
        nothing pushed yet (held records, FTP announcements and probe errors of its
        own): the one a --jobs run's parent labels its own share with, beside the one
        its caller flushes and reports errors from (classifier.parallel.Pool)."""
        return Analyzer(dpi=self.dpi, ml=self.ml, registry=self.registry, verdicts=self.verdicts,
                        engine=self.engine, min_confidence=self.min_confidence)

    def take_probe_errors(self) -> Dict[str, list]:
        """Detectors whose probe raised since the last call (a bug of ours, never
        fatal): {name: [count, first message]}; the CLI puts them in the summary."""
        out, self.probe_errors = self.probe_errors, {}
        return out

    def push(self, batch, hold: bool = True) -> List[Dict[str, Any]]:
        """Streaming use: label `batch` and return the records ready to be reported.

        An FTP data connection usually ends just BEFORE its control connection (whose
        QUIT comes last), so it can be reported in an earlier batch than the control
        flow that announced its endpoint. So the TCP flows the detectors did not
        label (those are the ones a data connection carrying a file looks like) are
        held back until `HOLD_FLOWS` more flows have ended, or until an announcement
        ties them to a control flow, whichever comes first; every other record is
        returned at once. The window counts flows, not batches, so it does not
        depend on the batch size. Call `flush` at the end of each capture.
        `hold=False` (live capture, where a flow is reported when it ends) holds
        nothing and ties flows to earlier announcements only."""
        recs = self.label(batch)
        if not self.dpi:
            return recs
        linker = self._linker()
        r = batch.records
        self._relabel(linker.link(recs, (r["proto"], r["server_port"], r["client_port"])))
        linker.learn(recs)                          # (within this batch: the detectors)
        held, self._held = self._held, []
        if held:
            linked = linker.link([rec for rec, _ in held])       # announced in this batch
            self._relabel(linked)
            tied = {id(rec) for rec in linked}
            due = self._seen + len(recs) - self.HOLD_FLOWS
            ready = [rec for rec, seen in held if id(rec) in tied or seen <= due]
            self._held = [(rec, seen) for rec, seen in held if not (id(rec) in tied or seen <= due)]
        else:
            ready = []
        if not hold:
            ready += [rec for rec, _ in self._held]
            self._held = []
            return ready + recs
        self._seen += len(recs)
        out = []
        for rec in recs:
            if rec["transport"] == "tcp" and rec["source"] in ("none", "ml"):
                self._held.append((rec, self._seen))
            else:
                out.append(rec)
        return ready + out

    def flush(self) -> List[Dict[str, Any]]:
        """The records still held back (end of a capture); forgets the announcements."""
        held, self._held = self._held, []
        self._ftp = None
        self._seen = 0
        return [rec for rec, _ in held]

    # Flows after which an unlabelled TCP flow is reported without a control flow.
    HOLD_FLOWS = 1024
    _ftp = None

    def _linker(self) -> "FtpLinker":
        if self._ftp is None:
            self._ftp = FtpLinker()
        return self._ftp

    def _relabel(self, recs: List[Dict[str, Any]]) -> None:
        if recs and self.verdicts:
            from .verdict import annotate
            annotate(recs, self.registry, self.min_confidence)


class FtpLinker:
    """Endpoints announced inside FTP control channels (PASV/EPSV replies, PORT/EPRT
    commands: the detectors put them in the control flow's `metadata.expect`), remembered
    across batches, and the flows that connect to them, relabelled `ftp-data` as the
    detectors do within one batch (classifier.detectors.engine.Expectations).

    Like the detectors' expectations this is payload-announced, never a port guess: an
    endpoint counts only once a control channel has named it. The flow's own label, if
    any, stays in `metadata.conflicts`. At most `remember` endpoints are kept."""

    def __init__(self, remember: int = 65536) -> None:
        from .detectors.engine import Expectations
        self.expect = Expectations(remember)     # the detectors' own table, bounded
        self._ports: Optional[Any] = None           # announced ports, for a numpy prefilter

    # Protocols whose detector announces endpoints (only ftp's, today).
    ANNOUNCERS = frozenset(("ftp",))

    def learn(self, recs: List[Dict[str, Any]]) -> None:
        announcers = self.ANNOUNCERS
        for rec in [r for r in recs if r["protocol"] in announcers]:
            meta = rec.get("metadata")
            anns = meta.get("expect") if isinstance(meta, dict) else None
            if anns:
                self.expect.learn_announcements(anns, rec["client"], rec["server"])
                self._ports = None

    def link(self, recs: List[Dict[str, Any]], ports=None) -> List[Dict[str, Any]]:
        """Relabel the records that connect to an announced endpoint; returns them.
        `ports`: the batch's (proto, server_port, client_port) columns, to look at the
        few flows on an announced port only."""
        if not len(self.expect):
            return []
        if ports is not None:
            import numpy as np
            if self._ports is None:
                self._ports = np.fromiter(self.expect.ports(), np.int64)
            proto, sport, cport = ports
            cand = np.flatnonzero((proto == 6) & (np.isin(sport, self._ports) | np.isin(cport, self._ports)))
            recs = [recs[i] for i in cand.tolist()]
        changed = []
        for rec in recs:
            if rec["transport"] != "tcp":
                continue
            proto = self.expect.lookup((rec["client"], rec["client_port"], rec["server"], rec["server_port"]))
            if proto is None or rec["protocol"] == proto:
                continue
            meta: Dict[str, Any] = {}
            if rec["protocol"] != "unknown":
                meta["conflicts"] = [{"protocol": rec["protocol"], "confidence": rec["confidence"]}]
            ml = rec.get("ml")
            rec["protocol"], rec["source"], rec["confidence"], rec["metadata"] = proto, "dpi", 1.0, meta
            if ml and ml.get("protocol") not in ("unknown", proto):
                meta["ml_disagrees"] = ml["protocol"]
            elif ml and ml.get("protocol") == proto:
                rec["source"] = "dpi+ml"
            changed.append(rec)
        return changed


def analyze(path: Union[str, "os.PathLike[str]", Sequence[str]], config=None, *, ml: str = "fallback",
            model: Optional[str] = None, site_ports: Union[str, Sequence[str]] = ()) -> Iterator[Dict[str, Any]]:
    """Every flow of a capture as an output record (the fields of docs/output.md), for
    an engineer embedding portlens:

        import classifier
        for rec in classifier.analyze("capture.pcap"):
            if rec["verdict"] == "mismatch":
                print(rec["verdict_reason"])

    `path` is one capture or a list of them, read in order (each record's `capture`
    says which); `site_ports` one site overrides file or a list of them.

    Raises classifier.errors.CaptureError when a file cannot be opened, and when
    reading stops on damage after the flows read before it were given (the captures
    after it are not read); ValueError for an empty list of captures or an unknown
    `ml` mode."""
    from .errors import CaptureError
    from .flows import ANALYZE_BATCH, FlowReader
    paths = as_paths(path, "path")
    if not paths:
        raise ValueError("path: no capture given (an empty list)")
    analyzer = Analyzer.from_options(ml=ml, model=model, site_ports=site_ports)
    size, payload = ANALYZE_BATCH
    for one in paths:
        reader = FlowReader(one, config, size, batch_payload=payload)
        for batch in reader.batches():
            yield from analyzer.push(batch)
        yield from analyzer.flush()
        if reader.error:
            raise CaptureError(reader.path, reader.error)
