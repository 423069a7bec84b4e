"""Training: reproducible to the byte, split by capture, views that stay with their
flow, reference flows of other protocols as the open set, the threshold rule, and
`portlens train` as a command.

Most tests train on a small copy of the corpus (a few protocols) with small settings;
one retrains the shipped model itself (its final fit and calibration on the corpus and
../shared/ndpi-dev, ~1 min) and compares checksums; it skips when ../shared is absent
(a user's clone), since the pinned list names ndpi-dev captures."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil

import numpy as np
import pytest

from classifier.ml import augment, train as T
from classifier.ml.cli import add_train_parser, cmd_train
from classifier.ml.data import REFERENCE_DIR, TRAINING_LIST, load_corpus, read_capture_list, split_capture_list
from classifier.ml.model import DEFAULT_DIR, MANIFEST_FILE, MODEL_FILE, OTHER, encode, load, save
from refdata import CORPUS_DIR

SMALL = ("dns", "http", "ssh", "tls", "ntp", "redis", "snmp", "smtp", "stun")
QUICK = dict(n_trees=6, folds=3, inner_folds=2, unknown_groups=3)


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """pcaps/corpus reduced to a few protocols (and the TURN relay's 'unknown' flows)."""
    src = os.path.join(CORPUS_DIR, "corpus")
    dst = tmp_path_factory.mktemp("corpus")
    keep = []
    with open(os.path.join(src, "manifest.jsonl")) as fh:
        for line in fh:
            if json.loads(line)["capture"].rsplit("-", 1)[0] in SMALL:
                keep.append(line)
    for cap in sorted({json.loads(line)["capture"] for line in keep}):
        shutil.copy(os.path.join(src, cap), dst / cap)
    (dst / "manifest.jsonl").write_text("".join(keep))
    return str(dst)


def _train_to(corpus, out, **settings):
    model = T.train(corpus, settings=T.Settings(**{**QUICK, **settings}))
    save(model, str(out))
    return model


def test_same_seed_same_model_bytes(small_corpus, tmp_path):
    a = _train_to(small_corpus, tmp_path / "a", seed=5)
    _train_to(small_corpus, tmp_path / "b", seed=5)
    for f in (MODEL_FILE, MANIFEST_FILE):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert set(a.classes) <= set(SMALL) and "unknown" not in a.classes
    m = a.manifest["metrics"]
    assert m["corpus_heldout"]["flows"] > 50 and len(m["heldout"]["fold_thresholds"]) == QUICK["folds"]
    _train_to(small_corpus, tmp_path / "c", seed=6)
    assert (tmp_path / "c" / MODEL_FILE).read_bytes() != (tmp_path / "a" / MODEL_FILE).read_bytes()


def _version_skip_reason(trained: dict, here: dict) -> str:
    """Why the byte-for-byte retraining check cannot run here ("" when it can): the
    forest's bytes depend on scikit-learn's and numpy's exact versions, so it runs only
    with those the shipped model was trained with (models/manifest.json, trained_with)."""
    differ = [f"{lib} {here[lib]} here, {trained.get(lib)} in the manifest"
              for lib in ("scikit-learn", "numpy") if trained.get(lib) != here[lib]]
    if not differ:
        return ""
    return ("retraining reproduces models/model.bin only with the versions that trained it: "
            + "; ".join(differ) + " (install those to run this check)")


def test_version_skip_reason_names_both_versions():
    trained = {"scikit-learn": "1.9.1", "numpy": "2.4.6", "python": "3.11.7"}
    assert _version_skip_reason(trained, {"scikit-learn": "1.9.1", "numpy": "2.4.6"}) == ""
    r = _version_skip_reason(trained, {"scikit-learn": "1.4.2", "numpy": "2.4.6"})
    assert "scikit-learn 1.4.2 here, 1.9.1 in the manifest" in r and "numpy" not in r
    r = _version_skip_reason(trained, {"scikit-learn": "1.9.1", "numpy": "1.26.4"})
    assert "numpy 1.26.4 here, 2.4.6 in the manifest" in r and "scikit-learn" not in r


def test_retraining_reproduces_the_shipped_model():
    """`portlens train --corpus pcaps/` gives the shipped models/model.bin, byte for byte
    (with the library versions that trained it; the manifest records them)."""
    import sklearn          # here: importing it (~1 s) at collection cost every xdist worker
    man = json.load(open(os.path.join(DEFAULT_DIR, MANIFEST_FILE)))
    reason = _version_skip_reason(man["trained_with"], {"scikit-learn": sklearn.__version__, "numpy": np.__version__})
    if reason:
        pytest.skip(reason)
    corpus, ref = split_capture_list(read_capture_list(TRAINING_LIST))
    if ref and not os.path.isdir(os.path.join(REFERENCE_DIR, "pcaps")):
        pytest.skip("the pinned list names ../shared/ndpi-dev captures, absent here (never copied into the project)")
    settings = T.Settings(**man["training"]["settings"])
    extra = [os.path.join(REFERENCE_DIR, "..", d) for d in sorted(ref)]
    model = T.train(CORPUS_DIR, extra=extra, settings=settings, metrics=False, captures=corpus, extra_captures=ref)
    assert model.manifest["training"]["data_sha256"] == man["training"]["data_sha256"], (
        "the training data differ from models/'s: the corpus captures, their manifest lines, or ../shared/ndpi-dev")
    assert hashlib.sha256(encode(model.forest)).hexdigest() == man["model_sha256"], (
        "the corpus, the fast path's flow records or the training code changed since models/ was written: "
        "retrain with `portlens train --corpus pcaps/ --extra ../shared/ndpi-dev --force` and commit models/")
    assert model.threshold == man["threshold"] and model.classes == man["classes"]


def test_folds_hold_whole_captures(small_corpus):
    fs = load_corpus(small_corpus)
    pool = T._pool(fs.subset([i for i, lab in enumerate(fs.labels) if lab != "unknown"]), "flow", T.Settings())
    folds = T._capture_folds(pool, 3, seed=1)
    caps = set(pool.capture[pool.kind == "flow"])
    assert sorted(c for f in folds for c in f) == sorted(caps)          # each capture in exactly one fold
    for held in folds:
        test = np.isin(pool.capture, held)
        # every row of a held-out capture - its flows and every view of them - is out
        assert set(pool.capture[~test]).isdisjoint(held)
        assert set(pool.y[test & (pool.kind == "view")]) <= set(pool.y[test & (pool.kind == "flow")])
    # stratified: a protocol's captures are spread over the folds
    per = {y: {i for i, f in enumerate(folds) for c in f if pool.y[list(pool.capture).index(c)] == y}
           for y in set(pool.y)}
    assert all(len(v) >= min(3, sum(1 for c in caps if pool.y[list(pool.capture).index(c)] == y))
               for y, v in per.items())


def test_views_are_cut_from_their_flow(small_corpus):
    fs = load_corpus(small_corpus)
    views, w, names = augment.augment(fs)
    assert len(views) > len(fs) and set(names) <= set(augment.VIEWS)
    pay = fs.payload
    by_flow = {}
    for i in range(len(fs)):
        r = fs.records[i]
        o, lc, ls = int(r["pay_off"]), int(r["pay_len_c2s"]), int(r["pay_len_s2c"])
        by_flow.setdefault((fs.captures[i], fs.labels[i]), []).append((pay[o:o + lc], pay[o + lc:o + lc + ls]))
    for j in range(len(views)):
        r = views.records[j]
        o, lc, ls = int(r["pay_off"]), int(r["pay_len_c2s"]), int(r["pay_len_s2c"])
        c2s, s2c = views.payload[o:o + lc], views.payload[o + lc:o + lc + ls]
        assert lc + ls > 0
        assert any(c2s in a and s2c in b for a, b in by_flow[(views.captures[j], views.labels[j])]), names[j]
        n = int(r["npk"])
        sizes, dirs = r["pk_size"][:n], r["pk_dir"][:n]
        if names[j].startswith("first-"):
            assert np.count_nonzero(sizes) <= int(names[j].split("-")[1])
        if names[j] == "client":
            assert ls == 0 and not dirs.any()
        if names[j] == "mss":
            assert sizes.max() <= augment.MSS
    # the views of one flow weigh as much together as the flow itself
    assert abs(w.sum() - len({(c, k) for c, k in zip(views.captures, views.labels)})) < len(fs)


def test_threshold_rule():
    """The lowest threshold at which the names given are right often enough."""
    p = np.array([0.95, 0.9, 0.85, 0.8, 0.6, 0.5, 0.4])
    right = np.array([1, 1, 1, 0, 1, 0, 0], bool)
    named = np.ones(7, bool)
    # 1.0 precision: only the three top scores; the cut is between 0.85 and 0.8
    assert T.choose_threshold(p, named, right, 1.0) == pytest.approx(0.825)
    # 0.8: the top five (4 of 5 right), not six (4 of 6)
    assert T.choose_threshold(p, named, right, 0.8) == pytest.approx(0.55)
    # rows the model put in OTHER are never names: they cannot lower the precision
    assert T.choose_threshold(p, right, right, 1.0) == pytest.approx(0.3)
    # nothing right enough: never speak
    assert T.choose_threshold(p, named, np.zeros(7, bool), 0.5) == 1.0
    assert T.choose_threshold([], [], [], 0.9) == 1.0
    # ties: a cut only between distinct scores
    assert T.choose_threshold([0.9, 0.9, 0.5], [1, 1, 1], [1, 0, 0], 1.0) == 1.0


def _args(argv):
    ap = argparse.ArgumentParser(prog="portlens")
    add_train_parser(ap.add_subparsers(dest="command"))
    return ap.parse_args(argv)


def test_train_command(small_corpus, tmp_path, monkeypatch, capsys):
    real = T.Settings
    monkeypatch.setattr(T, "Settings", lambda seed=0: real(seed=seed, **QUICK))
    args = _args(["train", "--corpus", small_corpus, "--out", str(tmp_path / "m"), "-q", "--all-captures"])
    assert args.extra is None and args.seed == 0
    assert cmd_train(args) == 0
    assert load(str(tmp_path / "m")).classes
    # no overwrite without --force: a usage error, one line naming the file
    assert cmd_train(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--force" in err and str(tmp_path / "m") in err
    args.force = True
    assert cmd_train(args) == 0
    # bad input: exit 3, one line
    bad = _args(["train", "--corpus", str(tmp_path / "missing"), "--out", str(tmp_path / "n"), "-q", "--all-captures"])
    assert cmd_train(bad) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "missing" in err
    bad = _args(["train", "--corpus", small_corpus, "--extra", str(tmp_path), "--out", str(tmp_path / "n"), "-q",
                 "--all-captures"])
    assert cmd_train(bad) == 3
    assert "labels.jsonl" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.jsonl").write_text('{"capture": "x.pcap"}\n')
    (broken / "x.pcap").write_bytes(open(os.path.join(small_corpus, sorted(os.listdir(small_corpus))[0]), "rb").read())
    assert cmd_train(_args(["train", "--corpus", str(broken), "--out", str(tmp_path / "n"), "-q", "--all-captures"])) == 3
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "manifest.jsonl" in err
    defaults = _args(["train"])
    assert (defaults.corpus, defaults.out, defaults.force) == ("pcaps/", "models/", False)
    assert (defaults.captures, defaults.all_captures) == ("models/training-captures.txt", False)


def test_the_pinned_list_is_the_shipped_models_training_data():
    """models/training-captures.txt lists exactly the captures models/manifest.json
    counts, and a capture outside it (a new detector's) is not read."""
    man = json.load(open(os.path.join(DEFAULT_DIR, MANIFEST_FILE)))
    listed, ref = split_capture_list(read_capture_list(TRAINING_LIST))
    assert len(listed) == len(set(listed)) == man["training"]["corpus_captures"]
    assert all(os.path.isfile(os.path.join(CORPUS_DIR, "corpus", c)) for c in listed)
    assert set(ref) == set(man["training"]["extra"]) == {"ndpi-dev"}
    assert len(ref["ndpi-dev"]) >= man["training"]["extra_captures"] > 200
    if os.path.isdir(os.path.join(REFERENCE_DIR, "pcaps")):
        assert all(os.path.isfile(os.path.join(REFERENCE_DIR, "pcaps", c)) for c in ref["ndpi-dev"])


def test_split_capture_list():
    assert split_capture_list(["a.pcap", "ndpi-dev/x.pcap", "b.pcap", "ndpi-dev/y.pcapng"]) == (
        ["a.pcap", "b.pcap"], {"ndpi-dev": ["x.pcap", "y.pcapng"]})


def test_a_capture_not_listed_is_not_trained_on(small_corpus, tmp_path):
    caps = sorted(c for c in os.listdir(small_corpus) if c.endswith(".pcap"))
    listed, left_out = caps[:-1], caps[-1]
    fs = load_corpus(small_corpus, listed)
    assert left_out not in set(fs.captures) and set(fs.captures) <= set(listed)
    lst = tmp_path / "list.txt"
    lst.write_text("# pinned\n" + "\n".join(listed) + "\n")
    assert read_capture_list(str(lst)) == listed
    with pytest.raises(Exception, match="no line for nope.pcap"):
        load_corpus(small_corpus, listed + ["nope.pcap"])


@pytest.fixture(scope="module")
def fake_reference(tmp_path_factory):
    """An ndpi-dev style directory (pcaps/ + labels.jsonl in nDPI's line format) made of
    corpus captures of two protocols the small corpus lacks."""
    src = os.path.join(CORPUS_DIR, "corpus")
    top = tmp_path_factory.mktemp("ref")
    (top / "pcaps").mkdir()
    lines = []
    names = {"mqtt": "MQTT", "modbus": "Modbus"}
    with open(os.path.join(src, "manifest.jsonl")) as fh:
        for line in fh:
            r = json.loads(line)
            if r["protocol"] in names:
                shutil.copy(os.path.join(src, r["capture"]), top / "pcaps" / r["capture"])
                lines.append(json.dumps({"pcap": r["capture"], "l4": r["transport"].upper(), "a": r["client"],
                                         "a_port": r["client_port"], "b": r["server"], "b_port": r["server_port"],
                                         "master": names[r["protocol"]], "proto": names[r["protocol"]],
                                         "confidence": "DPI"}))
    (top / "labels.jsonl").write_text("\n".join(lines) + "\n")
    return str(top)


def test_reference_flows_of_other_protocols_are_the_open_set(small_corpus, fake_reference):
    """Reference flows of protocols outside the corpus classes become class OTHER: the
    model learns to call them "unknown" (it never names them), and the held-out figures
    split reference captures too."""
    from classifier.ml.evaluate import evaluate_reference
    model = T.train(small_corpus, extra=[fake_reference], settings=T.Settings(**QUICK))
    assert OTHER in model.classes and not {"mqtt", "modbus"} & set(model.classes)
    assert "unknown" not in model.classes and OTHER not in model.protocols
    tr = model.manifest["training"]
    assert tr["extra"] == [os.path.basename(fake_reference)] and tr["extra_flows"] >= 18
    assert tr["class_flows"][OTHER] == tr["extra_flows"]
    m = model.manifest["metrics"]
    assert m["corpus_heldout"]["flows"] < 150
    other = m["reference_heldout"]["other_protocols"]          # held out by capture
    assert other["flows"] >= 18 and set(other["per_protocol"]) == {"MQTT", "Modbus"}
    assert other["unknown_rate"] >= 0.8
    res = evaluate_reference(model, fake_reference)                # (trained on: an upper bound)
    assert res["known"]["flows"] == 0 and res["unknown_protocols"]["unknown_rate"] == 1.0
    labels, _ = model.predict(np.zeros((3, len(model.forest.feature) and 226), np.float32))
    assert set(labels) <= set(model.protocols) | {"unknown"}
    # a pinned list of reference captures reads those only
    one = sorted(os.listdir(os.path.join(fake_reference, "pcaps")))[:1]
    pool, classes, _ = T.build_pool(small_corpus, [fake_reference], T.Settings(**QUICK),
                                    extra_captures={os.path.basename(fake_reference): one})
    assert set(pool.capture[pool.kind == "ref"]) == {f"ref:{os.path.basename(fake_reference)}/{one[0]}"}


def test_a_generated_set_is_training_rows_only(small_corpus, tmp_path):
    """A `pcaps/generate --realistic` set (here: corpus captures in its layout) adds rows of
    kind gen/genview, only for flows the detectors confirm; it is never held out, so the
    folds and figures are the corpus's alone, and the manifest names the set's hash."""
    from classifier.ml.data import load_generated
    src = os.path.join(CORPUS_DIR, "corpus")
    gen = tmp_path / "gen"
    gen.mkdir()
    lines = []
    with open(os.path.join(src, "manifest.jsonl")) as fh:
        for line in fh:
            r = json.loads(line)
            if r["capture"] in ("http-1.pcap", "dns-1.pcap"):
                shutil.copy(os.path.join(src, r["capture"]), gen / r["capture"])
                lines.append(line)
    (gen / "manifest.jsonl").write_text("".join(lines))
    (gen / "training-set.json").write_text('{"sha256": "abc"}\n')
    fs, counts = load_generated(str(gen))
    assert counts["flows"] == len(lines) and counts["kept"] == len(fs) > 0
    pool, classes, _ = T.build_pool(small_corpus, [], T.Settings(**QUICK), generated=[str(gen)])
    assert np.sum(pool.kind == "gen") == len(fs) and np.any(pool.kind == "genview")
    assert not np.any(pool.original & (pool.kind == "gen"))
    held = {c for f in T._capture_folds(pool, 3, 0) for c in f}
    assert not any(c.startswith("gen:") for c in held)
    with pytest.raises(Exception, match="training-set.json"):
        load_generated(small_corpus)
