#!/usr/bin/env python3
"""Replay a harness's inputs without atheris: every file given (or every file of a folder
given), then MUTATIONS inputs mutated from them with a seeded random generator.

    python fuzz/replay.py {reader|pipeline|probes} PATH... [--mutations N] [--seed S]
                          [--max-len BYTES] [--artifacts DIR]

The harness's own `TestOneInput` (fuzz/fuzz_<name>.py) runs on each input, called
directly: no libFuzzer and no coverage instrumentation, so it starts in a fraction of a
second instead of the ~3.5 s of CPU that instrumenting the package costs, and the same
seed gives the same inputs on every machine. What fails is what fails the fuzzing: any
exception `TestOneInput` lets out (the known bugs of `_harness.KNOWN_BUGS` are counted
instead under PORTLENS_FUZZ_ALLOW_KNOWN=1, as when fuzzing) and any fatal signal. On an
exception it prints the input's origin and the traceback, writes the input to
`DIR/crash-<sha1>` (replay it with `python fuzz/fuzz_<name>.py DIR/crash-<sha1>`) and
exits 1; while it runs, `DIR/last-input` holds the input being tried, so a fatal signal
leaves it behind. The last line says how many inputs ran.

The mutations are libFuzzer's simplest kinds (bit flips, random and boundary bytes,
16/32-bit boundary values, erased, inserted and repeated ranges, truncation, splicing
two inputs), one to four per input. Being blind to coverage they reach less than a
coverage-guided run: `tests/test_fuzz_harnesses.py` replays this way in the default
`pytest`, and the coverage-guided atheris runs are the thorough step of `.ci/run`.
"""
import argparse
import faulthandler
import hashlib
import importlib
import os
import random
import sys
import traceback

import _harness

INTERESTING_8 = (0, 1, 0x7F, 0x80, 0xFF)
INTERESTING_16 = (0, 1, 0x7FFF, 0x8000, 0xFFFF)
INTERESTING_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def mutate(rng, data, other, max_len):
    """`data` changed by one to four random edits (`other`: an input to splice with)."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(9)
        n = len(buf)
        if kind == 0 and n:                                     # flip a bit
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif kind == 1 and n:                                   # a random byte
            buf[rng.randrange(n)] = rng.randrange(256)
        elif kind == 2 and n:                                   # a boundary byte
            buf[rng.randrange(n)] = rng.choice(INTERESTING_8)
        elif kind == 3 and n >= 2:                              # a boundary 16/32-bit value
            width, values = rng.choice(((2, INTERESTING_16), (4, INTERESTING_32)))
            if n >= width:
                at = rng.randrange(n - width + 1)
                buf[at:at + width] = rng.choice(values).to_bytes(width, rng.choice(("big", "little")))
        elif kind == 4 and n:                                   # erase a range
            at = rng.randrange(n)
            del buf[at:at + rng.randint(1, max(1, min(64, n - at)))]
        elif kind == 5:                                         # insert random bytes
            at = rng.randint(0, n)
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 6 and n:                                   # repeat a range
            at = rng.randrange(n)
            piece = buf[at:at + rng.randint(1, 64)]
            to = rng.randint(0, n)
            buf[to:to] = piece * rng.randint(1, 4)
        elif kind == 7 and n:                                   # truncate
            del buf[rng.randrange(n):]
        elif kind == 8 and other:                               # splice with another input
            cut = rng.randint(0, n)
            buf[cut:] = other[rng.randrange(len(other)):]
    return bytes(buf[:max_len])


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += [os.path.join(p, f) for f in sorted(os.listdir(p))
                    if os.path.isfile(os.path.join(p, f))]
        else:
            out.append(p)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("harness", choices=("reader", "pipeline", "probes"))
    ap.add_argument("paths", nargs="+", help="input files, or folders of them")
    ap.add_argument("--mutations", type=int, default=0, help="mutated inputs after the files (default 0)")
    ap.add_argument("--seed", type=int, default=1, help="the mutations' random seed (default 1)")
    ap.add_argument("--max-len", type=int, default=65536, help="mutated inputs are cut to this length")
    ap.add_argument("--artifacts", default=".", help="where a failing input is written (default .)")
    args = ap.parse_args(argv)

    faulthandler.enable()
    _harness.REPLAY = True
    mod = importlib.import_module(f"fuzz_{args.harness}")
    _harness.announce(f"fuzz_{args.harness} (replay, no atheris)")
    test_one_input = _harness.guard(mod.TestOneInput)

    files = files_of(args.paths)
    seeds = []
    for f in files:
        with open(f, "rb") as fh:
            seeds.append(fh.read())
    os.makedirs(args.artifacts, exist_ok=True)
    last = os.path.join(args.artifacts, "last-input")
    fd = os.open(last, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def inputs():
        for f, data in zip(files, seeds):
            yield f, data
        rng = random.Random(args.seed)
        for i in range(args.mutations if seeds else 0):
            base, other = rng.randrange(len(seeds)), rng.randrange(len(seeds))
            yield (f"mutation {i} (seed {args.seed}) of {files[base]}",
                   mutate(rng, seeds[base], seeds[other], args.max_len))

    runs = 0
    for origin, data in inputs():
        os.ftruncate(fd, 0)
        if data:
            os.pwrite(fd, data, 0)
        try:
            test_one_input(data)
        except Exception:
            crash = os.path.join(args.artifacts, "crash-" + hashlib.sha1(data).hexdigest())
            with open(crash, "wb") as fh:
                fh.write(data)
            sys.stderr.write(f"replay: fuzz_{args.harness} failed on {origin} ({len(data)} bytes), "
                             f"written to {crash}:\n{traceback.format_exc()}")
            return 1
        runs += 1
    os.close(fd)
    os.unlink(last)
    print(f"replay: fuzz_{args.harness}: {runs} inputs ({len(files)} files, {runs - len(files)} mutations), "
          f"no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
