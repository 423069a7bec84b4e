#!/usr/bin/env bash
# Build portlens's Cython extensions for fuzzing: clang, AddressSanitizer and libFuzzer's
# coverage instrumentation (-fsanitize=fuzzer-no-link,address), into a directory of its
# own (default fuzz/build-asan/, git-ignored) so the normal in-place build is untouched.
#
#   fuzz/build_asan.sh [OUT]            # needs clang + its runtimes, see fuzz/README.md
#   PYTHONPATH=fuzz/build-asan LD_PRELOAD="$(python3 -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so" \
#     ASAN_OPTIONS=detect_leaks=0 PYTHONMALLOC=malloc python3 fuzz/fuzz_reader.py ...
#
# SANITIZERS (default "address") may add e.g. ",undefined" (then also
# EXTRA_CFLAGS=-fno-sanitize=pointer-overflow: Cython's generated argument handling
# adds 0 to a NULL pointer on every call); CLANG picks the compiler.
# ATHERIS_VENV=DIR also builds atheris from source with the same clang into a venv DIR
# (--system-site-packages, so the project's dependencies are the installed ones); its
# asan_with_fuzzer.so is then made from this clang's own ASan runtime and libFuzzer.
# Use DIR/bin/python to run the harnesses (PYTHON=DIR/bin/python fuzz/run.sh --asan).
# The sources are this checkout's files as they are now (tracked and untracked, not
# ignored ones): setup.py, pyproject.toml, _fastpath/, classifier/ and models/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/fuzz/build-asan}"
CLANG="${CLANG:-clang}"
SANITIZERS="${SANITIZERS:-address}"
PYTHON="${PYTHON:-python3}"

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "build_asan.sh: $CLANG not found (Debian: apt-get install -y clang libclang-rt-14-dev)" >&2
    exit 1
fi
RT="$("$CLANG" -print-file-name=libclang_rt.asan-x86_64.so)"
if [ ! -e "$RT" ]; then
    echo "build_asan.sh: no ASan runtime next to $CLANG (Debian: apt-get install -y libclang-rt-14-dev)" >&2
    exit 1
fi

if [ -n "${ATHERIS_VENV:-}" ]; then
    if [ ! -x "$ATHERIS_VENV/bin/python" ]; then
        "$PYTHON" -m venv --system-site-packages "$ATHERIS_VENV"
    fi
    CLANG_BIN="$(command -v "$CLANG")" CC="$CLANG" CXX="${CLANG}++" nice -n 10 \
        "$ATHERIS_VENV/bin/pip" install -q --no-binary atheris "atheris${ATHERIS_VERSION:-==3.0.0}"
    if ! "$ATHERIS_VENV/bin/python" -c 'import atheris, os, sys; sys.exit(not os.path.exists(os.path.join(atheris.path(), "asan_with_fuzzer.so")))'; then
        echo "build_asan.sh: atheris built without asan_with_fuzzer.so (see its setup.py)" >&2
        exit 1
    fi
    echo "atheris from source in $ATHERIS_VENV ($("$ATHERIS_VENV/bin/python" -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so)"
    # (The extensions are still built by $PYTHON: the venv's own setuptools may be
    # too old for pyproject.toml; the interpreter, and so the ABI, is the same.)
fi

case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
rm -rf "$OUT"
mkdir -p "$OUT"
( cd "$ROOT" && git ls-files -z --cached --others --exclude-standard -- \
      setup.py pyproject.toml _fastpath classifier models \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - ) | tar -xf - -C "$OUT"

cd "$OUT"
export CC="$CLANG" CXX="${CLANG}++" LDSHARED="$CLANG -shared"
export CFLAGS="-fsanitize=fuzzer-no-link,$SANITIZERS -fno-omit-frame-pointer -g -O1 ${EXTRA_CFLAGS:-}"
export LDFLAGS="-fsanitize=fuzzer-no-link,$SANITIZERS"
# setup.py's own -O3 comes after CFLAGS; the sanitizers do not mind.
nice -n 10 "$PYTHON" setup.py -q build_ext --inplace -j 1 >"$OUT/build.log" 2>&1 || {
    tail -30 "$OUT/build.log" >&2
    echo "build_asan.sh: build failed, log in $OUT/build.log" >&2
    exit 1
}
for so in classifier/_fastpath*.so classifier/detectors/_fast*.so classifier/_records*.so classifier/ml/_forest*.so; do
    syms="$(nm -D "$so")"       # (not piped into grep -q: pipefail and SIGPIPE)
    if ! grep -q __asan_report <<<"$syms"; then
        echo "build_asan.sh: $so is not ASan-instrumented" >&2
        exit 1
    fi
    if ! grep -q __sanitizer_cov_8bit_counters_init <<<"$syms"; then
        echo "build_asan.sh: $so has no libFuzzer coverage counters" >&2
        exit 1
    fi
done
echo "built $OUT (clang $("$CLANG" -dumpversion), -fsanitize=fuzzer-no-link,$SANITIZERS)"
echo "ASan runtime: $RT"
