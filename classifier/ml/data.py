"""Labelled flows for training and evaluation, read through the fast path.

Two sources, one shape (`FlowSet`: the fast path's records of many captures in one array,
their payload in one arena, and per flow a label and the capture it came from):

* the project corpus, `pcaps/corpus/` with `manifest.jsonl` (labels from the generator);
* a reference directory in the layout of ../shared/ndpi-dev (`pcaps/` and `labels.jsonl`
  with nDPI's verdict per flow); only flows nDPI labelled from the payload (confidence
  "DPI") count, with nDPI's protocol names mapped to ours (`NDPI_NAMES`);
* a generated training set (`pcaps/generate --realistic`, outside the repository: the
  corpus's manifest keys plus `netem` and `sha256`, and `training-set.json`): labelled by
  the generator, a label kept only where the payload detectors say the same
  (`load_generated`).

Flows are matched to label lines by transport and the unordered pair of endpoints;
addresses and ports are used for that join only and never reach the features.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import CaptureError, PortlensError
from ..flows import RECORD_DTYPE, FlowConfig, FlowReader
from ..protocols import ndpi_ambiguous, ndpi_to_canonical


class DataError(PortlensError):
    """A training or evaluation directory is missing or malformed."""


# nDPI master protocol -> our canonical name (the protocol table's `ndpi` column).
# nDPI names implicit-TLS mail by its port (IMAPS, ...); the bytes are TLS, and so is our
# name. NetBIOS covers three of ours and is left out: it names no single class.
NDPI_NAMES = ndpi_to_canonical()
# nDPI names that are not one protocol of ours, so no label either way.
NDPI_AMBIGUOUS = ndpi_ambiguous()
# nDPI names whose flows, some or all, are another protocol's wire format: a model name
# of that protocol is not wrong. Used to score names, never to label training flows
# (DNScrypt has a row of its own since issue 14, `dnscrypt`, with dns agreeing through
# its ndpi_by_port; the scoring rule is kept as the model was calibrated with it, and
# tests/test_ml_train.py retrains byte for byte). DNSCrypt's certificate request is a plain DNS
# TXT query (DNSCrypt v2 specification, section 10); SOAP travels in HTTP requests (nDPI's
# soap.c matches HTTP header lines).
NDPI_CARRIED_BY = {"DNScrypt": {"dns"}, "SOAP": {"http"}}


def name_agrees(origin: str, label: str, name: str) -> bool:
    """Is `name` right for a reference flow nDPI called `origin` (our `label` for it)?"""
    return name == label or name in NDPI_CARRIED_BY.get(origin, ())


@dataclass
class FlowSet:
    """Flows of many captures: records (RECORD_DTYPE) with `pay_off` into `payload`."""
    records: np.ndarray
    payload: bytes
    labels: List[str]                  # canonical protocol, or "unknown"
    captures: List[str]                # the capture each flow came from (the split unit)
    variants: List[str] = field(default_factory=list)
    origin: List[str] = field(default_factory=list)   # label source: nDPI master, or "corpus"
    # what the payload detectors say of each flow (only when loaded with detectors=True:
    # the evaluation of the model as the fallback; never a training input)
    detected: List[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def subset(self, idx) -> "FlowSet":
        idx = np.asarray(idx, dtype=np.int64)
        pick = lambda xs: [xs[i] for i in idx] if xs else []            # noqa: E731
        return FlowSet(self.records[idx], self.payload, pick(self.labels), pick(self.captures),
                       pick(self.variants), pick(self.origin), pick(self.detected))

    @staticmethod
    def concat(sets: Iterable["FlowSet"]) -> "FlowSet":
        sets = [s for s in sets if len(s)]
        if not sets:
            return empty()
        recs, arenas, base = [], [], 0
        for s in sets:
            r = s.records.copy()
            r["pay_off"] += base
            recs.append(r)
            arenas.append(bytes(s.payload))
            base += len(s.payload)
        return FlowSet(np.concatenate(recs), b"".join(arenas),
                       sum((s.labels for s in sets), []), sum((s.captures for s in sets), []),
                       sum((s.variants for s in sets), []), sum((s.origin for s in sets), []),
                       sum((s.detected for s in sets), []))


def empty() -> FlowSet:
    return FlowSet(np.zeros(0, RECORD_DTYPE), b"", [], [], [], [], [])


def _read(path: str, detectors: bool = False) -> Tuple[np.ndarray, bytes, list, list]:
    """Records, arena and per-flow join keys of one capture (its own copy of each batch),
    and with `detectors` the payload detectors' label of each flow (else an empty list)."""
    reader = FlowReader(path, FlowConfig())
    recs, arenas, keys, found, base = [], [], [], [], 0
    analyzer = None
    if detectors:
        from ..pipeline import Analyzer
        analyzer = Analyzer(ml=None, verdicts=False)
    for batch in reader.batches():
        if analyzer is not None:
            found += [rec["protocol"] for rec in analyzer.label(batch)]
        r = batch.records.copy()
        r["pay_off"] += base
        recs.append(r)
        arena = bytes(batch.payload)
        arenas.append(arena)
        base += len(arena)
        for f in batch:
            keys.append((f.transport, frozenset([(_canon(f.client), f.client_port),
                                                 (_canon(f.server), f.server_port)])))
    if not recs:
        return np.zeros(0, RECORD_DTYPE), b"", [], []
    return np.concatenate(recs), b"".join(arenas), keys, found


def _canon(addr: str) -> str:
    try:
        return ipaddress.ip_address(addr).compressed
    except ValueError:
        return addr


def _lines(path: str) -> List[dict]:
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        out.append(json.loads(line))
                    except ValueError as e:
                        raise DataError(f"{path}: line {n} is not JSON ({e})") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from None
    return out


def corpus_dir(top: str) -> str:
    """`top` may be pcaps/ or pcaps/corpus/ itself."""
    for d in (os.path.join(top, "corpus"), top):
        if os.path.isfile(os.path.join(d, "manifest.jsonl")):
            return d
    raise DataError(f"{top}: no corpus here (expected corpus/manifest.jsonl or manifest.jsonl)")


# The pinned training list of the shipped model: models/training-captures.txt.
TRAINING_LIST = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "models", "training-captures.txt")


# Where the reference captures the pinned list names are, from the top of a checkout.
REFERENCE_DIR = os.path.join(os.path.dirname(os.path.dirname(TRAINING_LIST)), "..", "shared", "ndpi-dev")


def split_capture_list(names: Sequence[str]) -> Tuple[List[str], Dict[str, List[str]]]:
    """A pinned list's names: corpus captures (plain names) and reference captures
    (`DIR/NAME`: NAME in the pcaps/ of the reference directory whose last component is
    DIR, e.g. `ndpi-dev/dns.pcap`), the latter per DIR."""
    corpus, ref = [], {}
    for n in names:
        if "/" in n:
            d, c = n.split("/", 1)
            ref.setdefault(d, []).append(c)
        else:
            corpus.append(n)
    return corpus, ref


def read_capture_list(path: str) -> List[str]:
    """Capture names, one a line; blank lines and '#' comments ignored."""
    try:
        with open(path, encoding="utf-8") as fh:
            names = [ln.strip() for ln in fh]
    except OSError as e:
        raise DataError(f"{path}: cannot read the capture list ({e.strerror or e})") from None
    return [n for n in names if n and not n.startswith("#")]


def _manifest_rows(d: str, captures: Optional[Sequence[str]]) -> Dict[str, list]:
    """Manifest lines per capture, only the listed captures when a list is given."""
    rows: Dict[str, list] = {}
    for r in _lines(os.path.join(d, "manifest.jsonl")):
        try:
            rows.setdefault(r["capture"], []).append(r)
        except KeyError:
            raise DataError(f"{d}/manifest.jsonl: a line has no 'capture'") from None
    if captures is None:
        return rows
    missing = [c for c in captures if c not in rows]
    if missing:
        raise DataError(f"{d}/manifest.jsonl: no line for {missing[0]}, listed for training")
    return {c: rows[c] for c in captures}


def _wanted(rows: list, where: str, cap: str) -> dict:
    """A capture's labelled manifest lines keyed as _read keys its flows: (transport,
    the two endpoints unordered)."""
    try:
        return {(r["transport"], frozenset([(_canon(r["client"]), r["client_port"]),
                                            (_canon(r["server"]), r["server_port"])])): r
                for r in rows if r["protocol"]}
    except (KeyError, TypeError) as e:
        raise DataError(f"{where}/manifest.jsonl: a line of {cap} lacks {e}") from None


def load_corpus(top: str, captures: Optional[Sequence[str]] = None) -> FlowSet:
    """Every flow of the corpus that has a manifest line, labelled by it; only the flows
    of `captures` (names in the corpus directory) when given."""
    d = corpus_dir(top)
    rows = _manifest_rows(d, captures)
    sets = []
    for cap in sorted(rows, key=_natural):
        path = os.path.join(d, cap)
        if not os.path.isfile(path):
            raise DataError(f"{path}: listed in the manifest but missing")
        want = _wanted(rows[cap], d, cap)
        recs, arena, keys, _ = _read(path)
        keep = [i for i, k in enumerate(keys) if k in want]
        sets.append(FlowSet(recs[keep], arena, [want[keys[i]]["protocol"] for i in keep],
                            [cap] * len(keep), [str(want[keys[i]].get("variant")) for i in keep],
                            ["corpus"] * len(keep)))
    return FlowSet.concat(sets)


GENERATED_INFO = "training-set.json"


def is_generated(top: str) -> bool:
    """A directory written by `pcaps/generate --realistic` (manifest and training-set.json)."""
    return os.path.isfile(os.path.join(top, "manifest.jsonl")) and os.path.isfile(os.path.join(top, GENERATED_INFO))


def load_generated(top: str) -> Tuple[FlowSet, Dict[str, int]]:
    """The flows of a generated set whose generator label the payload detectors confirm.

    The label is what the generator started on the flow's server port; a flow is kept
    only when the detectors, run on its full bytes, name the same protocol (a server's
    error page, a client that gave up before its first byte, an impaired session the
    detectors cannot read: none of them is taught as the protocol the port promised).
    Returns the flows (`origin` "generated", captures `gen:DIR/NAME`) and the counts
    {"flows": labelled flows read, "kept": ..., "<label> -> <detected>": dropped ...}."""
    if not is_generated(top):
        raise DataError(f"{top}: expected manifest.jsonl and {GENERATED_INFO} (pcaps/generate --realistic)")
    rows = _manifest_rows(top, None)
    name = top.rstrip("/").split("/")[-1]
    sets, counts = [], {"flows": 0, "kept": 0}
    for cap in sorted(rows, key=_natural):
        path = os.path.join(top, cap)
        if not os.path.isfile(path):
            raise DataError(f"{path}: listed in the manifest but missing")
        want = _wanted(rows[cap], top, cap)
        recs, arena, keys, found = _read(path, detectors=True)
        keep = []
        for i, k in enumerate(keys):
            if k not in want:
                continue
            counts["flows"] += 1
            label = want[k]["protocol"]
            if found[i] == label:
                keep.append(i)
            else:
                key = f"{label} -> {found[i]}"
                counts[key] = counts.get(key, 0) + 1
        counts["kept"] += len(keep)
        sets.append(FlowSet(recs[keep], arena, [want[keys[i]]["protocol"] for i in keep],
                            [f"gen:{name}/{cap}"] * len(keep), [str(want[keys[i]].get("variant")) for i in keep],
                            ["generated"] * len(keep)))
    return FlowSet.concat(sets), counts


def generated_inputs(top: str) -> List[str]:
    """What a training on a generated set reads: its manifest and its captures."""
    names = sorted(_manifest_rows(top, None), key=_natural)
    return [os.path.join(top, "manifest.jsonl")] + [os.path.join(top, n) for n in names]


def load_reference(top: str, confidence: str = "DPI", captures: Optional[Sequence[str]] = None,
                   detectors: bool = False) -> FlowSet:
    """Flows of an ndpi-dev style directory (pcaps/ + labels.jsonl) that nDPI labelled
    from the payload. The label is our name for nDPI's protocol, or "unknown" for a
    protocol we have no name for (the flow is still useful for the open-set figure);
    `origin` keeps nDPI's name. `captures`: only these captures (names in pcaps/; a
    listed capture that is missing is an error, so a pinned list cannot shrink
    silently). `detectors`: also run the payload detectors, into `detected`."""
    pdir = os.path.join(top, "pcaps")
    lpath = os.path.join(top, "labels.jsonl")
    if not os.path.isdir(pdir) or not os.path.isfile(lpath):
        raise DataError(f"{top}: expected pcaps/ and labels.jsonl (the ../shared/ndpi-dev layout)")
    by_pcap: Dict[str, dict] = {}
    for r in _lines(lpath):
        if r.get("confidence") != confidence or r.get("l4") not in ("TCP", "UDP"):
            continue
        try:
            if r["master"] in NDPI_AMBIGUOUS:
                continue
            key = (r["l4"].lower(), frozenset([(_canon(r["a"]), r["a_port"]), (_canon(r["b"]), r["b_port"])]))
            by_pcap.setdefault(r["pcap"], {})[key] = r
        except (KeyError, TypeError) as e:
            raise DataError(f"{lpath}: a line lacks {e}") from None
    names = sorted(by_pcap, key=_natural)
    if captures is not None:
        missing = [c for c in captures if not os.path.isfile(os.path.join(pdir, c))]
        if missing:
            raise DataError(f"{pdir}: no capture {missing[0]}, listed for training")
        listed = set(captures)
        names = [c for c in names if c in listed]
    sets = []
    for cap in names:
        path = os.path.join(pdir, cap)
        if not os.path.isfile(path):
            continue
        want = by_pcap[cap]
        try:
            recs, arena, keys, found = _read(path, detectors)
        except CaptureError:
            continue                  # unreadable reference captures teach nothing
        keep, seen = [], set()
        for i, k in enumerate(keys):
            if k in want and k not in seen:       # a tuple reused later is another flow
                keep.append(i)
                seen.add(k)
        sets.append(FlowSet(recs[keep], arena,
                            [NDPI_NAMES.get(want[keys[i]]["master"], "unknown") for i in keep],
                            [cap] * len(keep), [want[keys[i]]["proto"] for i in keep],
                            [want[keys[i]]["master"] for i in keep],
                            [found[i] for i in keep] if detectors else []))
    return FlowSet.concat(sets)


def _natural(name: str):
    import re
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def files_hash(paths: Iterable[str], blobs: Sequence[Tuple[str, bytes]] = ()) -> str:
    """sha256 over (relative name, content) of training inputs: the manifest's data hash.
    `blobs` are (name, content) pairs hashed first (the manifest lines trained on)."""
    h = hashlib.sha256()
    for name, data in blobs:
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(data).digest())
    for p in paths:
        h.update(os.path.basename(p).encode() + b"\0")
        with open(p, "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def corpus_inputs(top: str, captures: Optional[Sequence[str]] = None) -> Tuple[bytes, List[str]]:
    """What a training on the corpus reads: the manifest's lines of the captures trained
    on (all of them without a list, so the bytes are the whole file), and the captures."""
    d = corpus_dir(top)
    keep = set(captures) if captures is not None else None
    with open(os.path.join(d, "manifest.jsonl"), "rb") as fh:
        lines = [ln for ln in fh if ln.strip() and (keep is None or json.loads(ln)["capture"] in keep)]
    names = sorted({json.loads(ln)["capture"] for ln in lines}, key=_natural)
    return b"".join(lines), [os.path.join(d, n) for n in names]


def reference_files(top: str, captures: Optional[Sequence[str]] = None) -> List[str]:
    """What a training on a reference directory reads: labels.jsonl and the captures
    (only `captures` when given)."""
    pdir = os.path.join(top, "pcaps")
    names = captures if captures is not None else [n for n in os.listdir(pdir) if os.path.isfile(os.path.join(pdir, n))]
    return [os.path.join(top, "labels.jsonl")] + sorted(os.path.join(pdir, n) for n in names)
