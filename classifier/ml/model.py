"""The shipped model: a file of plain arrays plus a JSON manifest, and the checks on load.

A model directory holds two files:

* `model.bin` - the forest (`forest.Forest`) in the project's own container: the magic
  line `PORTLENS-ML 1`, a JSON header (name, dtype, shape, offset of each array), then
  the arrays' raw little-endian bytes. Loading reads them with `np.frombuffer`: nothing
  in the file is ever executed or unpickled, whoever wrote it.
* `README.md` - the manifest's figures as tables, written with it.
* `manifest.json` - what the file is and how it was made: format version, feature
  schema version and feature names, class list, the open-set threshold, the library
  versions and training-data hash of the training run, its settings and its metrics,
  and the sha256 of `model.bin`.

`load(path)` refuses, with a one-line `ModelError` naming the file and the problem:
a missing or unreadable file, a manifest that is not this format or version, a feature
schema other than this code's (the model would read the wrong columns), a `model.bin`
whose sha256 differs from the manifest's (altered or swapped), and arrays that do not
form a well-made forest of the manifest's classes. The library versions a model was
trained with are recorded for reproducing it; inference does not depend on them, since
the file holds only arrays.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from ..errors import PortlensError
from . import features
from .forest import ARRAYS, Forest

FORMAT = "portlens-ml"
FORMAT_VERSION = 1
MODEL_FILE = "model.bin"
MANIFEST_FILE = "manifest.json"
README_FILE = "README.md"        # the manifest's figures for people
MAGIC = b"PORTLENS-ML 1\n"
UNKNOWN = "unknown"
# The class of real flows of protocols outside the model's classes (the open set, learnt
# from reference traffic): a row whose most probable class is this one is "unknown".
OTHER = "other"



def _default_dir() -> str:
    """Where the shipped model is: `models/` of the source checkout the package runs
    from (PYTHONPATH or an editable install; `portlens train` writes it there), else
    the copy installed inside the package as package data (`classifier/models/`, put
    there by setup.py's build_py), found through importlib.resources."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    root = os.path.dirname(package)
    # A checkout: the package beside pyproject.toml and the fast path's sources. An
    # installed package's parent is site-packages, whose models/ (if any) is not ours.
    if os.path.isfile(os.path.join(root, "pyproject.toml")) and os.path.isdir(os.path.join(root, "_fastpath")):
        return os.path.join(root, "models")
    from importlib.resources import files
    where = files("classifier").joinpath("models")
    return os.fspath(where) if isinstance(where, os.PathLike) else str(where)


DEFAULT_DIR = _default_dir()


class ModelError(PortlensError):
    """A model file or manifest that cannot be used: missing, altered, or incompatible."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def feature_names_hash() -> str:
    return hashlib.sha256("\n".join(features.FEATURE_NAMES).encode()).hexdigest()


@dataclass
class Model:
    forest: Forest
    classes: List[str]
    threshold: float
    manifest: Dict[str, Any]
    path: Optional[str] = None

    @property
    def protocols(self) -> List[str]:
        """The classes that are protocols (all but OTHER)."""
        return [c for c in self.classes if c != OTHER]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.forest.predict_proba(X, features.N_FEATURES)

    def predict(self, X: np.ndarray):
        """(labels, probabilities): the most probable class and its probability per row;
        the label is "unknown" where that probability is below the threshold."""
        if len(X) == 0:
            return np.zeros(0, dtype=object), np.zeros(0, np.float32)
        return self.decide(self.predict_proba(X))

    def decide(self, proba: np.ndarray):
        """predict() from class probabilities already computed: the most probable class
        and its probability; "unknown" where that class is OTHER or the probability is
        below the threshold."""
        best = proba.argmax(axis=1)
        p = proba[np.arange(len(best)), best]
        names = np.asarray([UNKNOWN if c == OTHER else c for c in self.classes] + [UNKNOWN], dtype=object)
        best = np.where(p >= self.threshold, best, len(self.classes))
        return names[best], p

    def predict_batch(self, batch):
        """Features and prediction for a FlowBatch in one call."""
        return self.predict(features.extract(batch))


# --- the container -------------------------------------------------------------------

def encode(forest: Forest) -> bytes:
    """The bytes of model.bin: deterministic for the same arrays."""
    header, blobs, off = [], [], 0
    for name in ARRAYS:
        a = np.ascontiguousarray(getattr(forest, name))
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        raw = a.tobytes()
        header.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": off, "nbytes": len(raw)})
        blobs.append(raw)
        off += len(raw)
    head = json.dumps({"arrays": header}, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + len(head).to_bytes(8, "little") + head + b"".join(blobs)


def decode(data: bytes, path: str) -> Forest:
    if not data.startswith(MAGIC):
        raise ModelError(path, f"not a portlens model file (expected it to start with {MAGIC[:-1].decode()!r})")
    pos = len(MAGIC)
    try:
        n = int.from_bytes(data[pos:pos + 8], "little")
        head = json.loads(data[pos + 8:pos + 8 + n])
        body = memoryview(data)[pos + 8 + n:]
        arrays = {}
        for h in head["arrays"]:
            dt = np.dtype(h["dtype"])
            if dt.kind not in "iuf" or dt.hasobject:
                raise ValueError(f"array {h['name']!r} has a non-numeric dtype")
            off, nbytes, shape = int(h["offset"]), int(h["nbytes"]), tuple(int(x) for x in h["shape"])
            if off < 0 or off + nbytes > len(body) or nbytes != dt.itemsize * int(np.prod(shape)):
                raise ValueError(f"array {h['name']!r} runs outside the file")
            a = np.frombuffer(body, dt, count=nbytes // dt.itemsize, offset=off).reshape(shape)
            arrays[h["name"]] = a.astype(dt.newbyteorder("="), copy=False)
        return Forest.from_arrays(arrays)
    except ModelError:
        raise
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(path, f"malformed model file ({e})") from None


# --- save and load -------------------------------------------------------------------

def save(model: Model, out_dir: str) -> Dict[str, Any]:
    """Write model.bin and manifest.json into out_dir; returns the manifest written."""
    os.makedirs(out_dir, exist_ok=True)
    blob = encode(model.forest)
    manifest = dict(model.manifest)
    manifest.update({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_file": MODEL_FILE,
        "model_sha256": hashlib.sha256(blob).hexdigest(),
        "model_bytes": len(blob),
        "feature_schema_version": features.SCHEMA_VERSION,
        "n_features": features.N_FEATURES,
        "feature_names_sha256": feature_names_hash(),
        "classes": list(model.classes),
        "threshold": float(model.threshold),
    })
    order = ["format", "format_version", "model_file", "model_sha256", "model_bytes",
             "feature_schema_version", "n_features", "feature_names_sha256", "classes", "threshold"]
    manifest = {k: manifest[k] for k in order + sorted(set(manifest) - set(order))}
    _write(os.path.join(out_dir, MODEL_FILE), blob)
    _write(os.path.join(out_dir, MANIFEST_FILE), (json.dumps(manifest, indent=1) + "\n").encode())
    from .model_card import render_readme
    _write(os.path.join(out_dir, README_FILE), render_readme(manifest).encode())
    model.manifest = manifest
    return manifest


def _write(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def manifest_path(path: Optional[str]) -> str:
    """A model is named by its directory or its manifest.json."""
    path = path or DEFAULT_DIR
    if os.path.isdir(path):
        return os.path.join(path, MANIFEST_FILE)
    return path


# Decoded forests by the sha256 of their model.bin: a process that loads the same model
# again (a Classifier per capture or per interface, `analyze` called per file) reads and
# checks the file each time but decodes it once (5.7 -> 2.7 ms of CPU per load here).  The
# arrays are read-only views of the file's bytes, so the Models share them safely.
_DECODED: Dict[str, Forest] = {}


def load(path: Optional[str] = None) -> Model:
    """The model at `path` (a directory or its manifest.json; default: the shipped one),
    after every check in the module docstring."""
    mpath = manifest_path(path)
    try:
        with open(mpath, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        hint = " (train one with `portlens train`, or run with --ml off)" if path is None else ""
        raise ModelError(mpath, f"no model manifest here{hint}") from None
    except OSError as e:
        raise ModelError(mpath, f"cannot read the manifest ({e.strerror or e})") from None
    try:
        man = json.loads(raw)
        if not isinstance(man, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        raise ModelError(mpath, f"manifest is not valid JSON ({e})") from None
    if man.get("format") != FORMAT:
        raise ModelError(mpath, f"not a portlens model manifest (format {man.get('format')!r})")
    if man.get("format_version") != FORMAT_VERSION:
        raise ModelError(mpath, f"model format version {man.get('format_version')!r} is not supported "
                                f"(this portlens reads version {FORMAT_VERSION}); retrain with `portlens train`")
    if man.get("feature_schema_version") != features.SCHEMA_VERSION or \
            man.get("feature_names_sha256") != feature_names_hash():
        raise ModelError(mpath, f"model was trained on feature schema {man.get('feature_schema_version')!r}, "
                                f"this portlens computes schema {features.SCHEMA_VERSION}; retrain with `portlens train`")
    name = man.get("model_file")
    if not isinstance(name, str) or os.path.basename(name) != name or not name:
        raise ModelError(mpath, "manifest names no model file in its own directory")
    bpath = os.path.join(os.path.dirname(mpath), name)
    try:
        with open(bpath, "rb") as fh:
            blob = fh.read()
    except OSError as e:
        raise ModelError(bpath, f"cannot read the model file ({e.strerror or e})") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != man.get("model_sha256"):
        raise ModelError(bpath, f"sha256 {digest[:16]}... does not match the manifest's "
                                f"{str(man.get('model_sha256'))[:16]}...: the file was altered or replaced; refusing to load it")
    forest = _DECODED.get(digest)
    if forest is None:
        forest = decode(blob, bpath)
        if len(_DECODED) >= 4:
            _DECODED.clear()
        _DECODED[digest] = forest
    classes = man.get("classes")
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes) \
            or len(classes) != forest.n_classes or UNKNOWN in classes:
        raise ModelError(mpath, f"class list does not match the model file ({forest.n_classes} classes)")
    thr = man.get("threshold")
    if not isinstance(thr, (int, float)) or not 0.0 <= thr <= 1.0:
        raise ModelError(mpath, f"threshold {thr!r} is not a probability")
    if forest.feature.max(initial=0) >= features.N_FEATURES:
        raise ModelError(bpath, "model tests a feature this schema does not have")
    return Model(forest, list(classes), float(thr), man, mpath)
