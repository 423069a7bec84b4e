"""Command-line pieces of the model, for classifier/cli.py to register:

* `add_train_parser(subparsers)` registers `portlens train`, run by `cmd_train(args)`;
* `add_ml_options(parser)` adds `--ml {off,fallback,all}`, `--model PATH` and
  `--min-confidence P` to the commands that label flows (analyze, live);
  `combine.MLStage.from_args(args)` reads the first two, the Analyzer's verdicts the last.

`portlens train` exit codes: 0 written; 2 usage (including an existing model in --out
without --force); 3 bad input (corpus or extra directory missing or malformed). Every
error is one line on stderr.
"""
from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_USAGE, EXIT_INPUT = 0, 2, 3


def add_ml_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("port-blind model")
    g.add_argument("--ml", choices=("off", "fallback", "all"), default="fallback",
                   help="off: detectors only; fallback (default): the model labels the flows the detectors "
                        "left unknown; all: the model also gives its opinion on every labelled flow "
                        "(agreement: source dpi+ml; disagreement: metadata.ml_disagrees)")
    g.add_argument("--min-confidence", type=_probability, default=0.0, metavar="P",
                   help="a label the model gave alone (source ml, marked '?' in the table) whose probability "
                        "is below P makes no verdict: the flow is judged unidentified, the guess stays in "
                        "protocol (default 0: every guess is judged; a mismatch resting on a guess says so "
                        "in verdict_reason)")
    g.add_argument("--model", metavar="PATH", default=None,
                   help="model directory or its manifest.json (default: the shipped model, models/ of a "
                        "checkout or the copy installed with the package)")


def _probability(text: str) -> float:
    try:
        p = float(text)
    except ValueError:
        p = -1.0
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability between 0 and 1")
    return p


def add_train_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train the port-blind model on the labelled corpus",
        description="Train the port-blind model on the labelled corpus and write it, with a manifest "
                    "holding its held-out metrics, to --out. The same corpus, seed and library versions "
                    "give the same model file byte for byte (the shipped one: `portlens train`).")
    p.add_argument("--corpus", default="pcaps/", metavar="DIR",
                   help="corpus directory: pcaps/ or pcaps/corpus/ with manifest.jsonl (default %(default)s)")
    p.add_argument("--captures", default="models/training-captures.txt", metavar="FILE",
                   help="train on the corpus captures this file lists, one a line (default %(default)s, "
                        "the shipped model's pinned list, when it exists; a capture added to the corpus "
                        "for a new detector is not trained on until it is listed)")
    p.add_argument("--all-captures", action="store_true",
                   help="train on every capture of the corpus manifest instead of a list")
    p.add_argument("--extra", action="append", default=None, metavar="DIR",
                   help="real training flows from an ndpi-dev style directory (pcaps/ + labels.jsonl, "
                        "nDPI's payload labels; flows of protocols outside the model's classes teach it "
                        "\"unknown\"); repeatable. Default: ../shared/ndpi-dev of the checkout when the "
                        "--captures list names ndpi-dev/ captures (the shipped model's does)")
    p.add_argument("--generated", action="append", default=[], metavar="DIR",
                   help="also train on a set written by `pcaps/generate --realistic` (real clients and servers "
                        "across an impaired 1500-byte link; a flow counts only where the detectors confirm the "
                        "generator's label); repeatable. Training rows only: the held-out figures stay on the "
                        "corpus and the --extra captures")
    p.add_argument("--generated-weight", type=float, default=1.0, metavar="W",
                   help="what one generated flow (with its views) weighs, a corpus flow weighing 1 (default %(default)s)")
    p.add_argument("--eval", action="append", default=[], metavar="DIR",
                   help="evaluate the trained model on an ndpi-dev style directory it never trained on "
                        "(e.g. ../shared/ndpi-dev) and add the figures to the manifest; repeatable")
    p.add_argument("--out", default="models/", metavar="DIR", help="where to write it (default %(default)s in the current folder: run from the top of a "
                        "checkout, the model analyze reads by default; elsewhere, give it to analyze "
                        "with --model)")
    p.add_argument("--force", action="store_true", help="replace a model already in --out")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_train)
    return p


def _err(msg: str) -> None:
    sys.stderr.write(f"portlens: error: {msg}\n")


def cmd_train(args) -> int:
    from ..errors import PortlensError
    from .data import REFERENCE_DIR, corpus_dir, is_generated, read_capture_list, split_capture_list
    from .model import MANIFEST_FILE, MODEL_FILE, save
    from .train import Settings, train

    existing = [f for f in (MANIFEST_FILE, MODEL_FILE) if os.path.exists(os.path.join(args.out, f))]
    if existing and not args.force:
        _err(f"{os.path.join(args.out, existing[0])}: a model is already there; refusing to overwrite it (use --force)")
        return EXIT_USAGE
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        _err(f"{args.out}: not a directory")
        return EXIT_USAGE
    quiet = getattr(args, "quiet", False)
    log = (lambda s: None) if quiet else (lambda s: sys.stderr.write(f"portlens train: {s}\n"))
    try:
        corpus_dir(args.corpus)
        captures = ref_captures = None
        listed = getattr(args, "captures", None)
        extra = args.extra
        if not getattr(args, "all_captures", False) and listed and os.path.exists(listed):
            captures, ref_captures = split_capture_list(read_capture_list(listed))
            log(f"training on the {len(captures)} corpus captures and "
                f"{sum(len(v) for v in ref_captures.values())} reference captures of {listed}")
            if extra is None:
                extra = [os.path.relpath(os.path.join(REFERENCE_DIR, "..", d)) for d in sorted(ref_captures)]
            named = {d.rstrip("/").split("/")[-1] for d in extra}
            for d in sorted(set(ref_captures) - named):
                _err(f"{listed} lists captures of {d}/ but no --extra directory is named {d} "
                     f"(give --extra ../shared/{d}, or --all-captures to train on the corpus alone)")
                return EXIT_INPUT
        extra = list(extra or [])
        for d in extra + list(getattr(args, "eval", [])):
            if not os.path.isdir(os.path.join(d, "pcaps")) or not os.path.isfile(os.path.join(d, "labels.jsonl")):
                _err(f"{d}: expected pcaps/ and labels.jsonl (the ../shared/ndpi-dev layout)")
                return EXIT_INPUT
        generated = list(getattr(args, "generated", None) or [])
        for d in generated:
            if not is_generated(d):
                _err(f"{d}: expected manifest.jsonl and training-set.json (pcaps/generate --realistic)")
                return EXIT_INPUT
        settings = Settings(seed=args.seed)
        if generated:
            settings.generated_weight = getattr(args, "generated_weight", 1.0)
        model = train(args.corpus, extra, getattr(args, "eval", []), settings, log,
                      captures=captures, extra_captures=ref_captures, generated=generated)
        man = save(model, args.out)
    except PortlensError as e:
        _err(str(e))
        return EXIT_INPUT
    except OSError as e:
        _err(f"{getattr(e, 'filename', None) or args.out}: {e.strerror or e}")
        return EXIT_INPUT
    m = man["metrics"]
    log(f"wrote {os.path.join(args.out, MODEL_FILE)} ({man['model_bytes']} bytes, sha256 {man['model_sha256'][:16]}...) "
        f"and {MANIFEST_FILE}: {len(man['classes'])} classes, threshold {man['threshold']:.3f}, "
        + _summary(m))
    return EXIT_OK


def _summary(m) -> str:
    """The held-out figures of a training, in one line."""
    parts = []
    if "corpus_heldout" in m:
        parts.append(f"corpus held-out macro-F1 {m['corpus_heldout']['macro_f1']:.4f}")
    r = m.get("reference_heldout")
    if r:
        parts.append(f"reference: names right {r['precision']}, macro-F1 {r['known']['macro_f1']:.4f}, "
                     f"other protocols called unknown {r['other_protocols']['unknown_rate']:.4f}")
    return ", ".join(parts) or "no held-out figures"


def main(argv=None) -> int:
    """`python -m classifier.ml.cli train ...` until classifier/cli.py registers it."""
    ap = argparse.ArgumentParser(prog="portlens")
    sub = ap.add_subparsers(dest="command", required=True)
    add_train_parser(sub)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
