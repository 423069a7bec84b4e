#!/usr/bin/env bash
# Run the fuzz harnesses one after the other, each for SECONDS, on one core (nice 10).
#
#   fuzz/run.sh [--asan] SECONDS [reader|pipeline|probes ...]     (default: all three)
#
# --asan     fuzz the sanitizer build of fuzz/build_asan.sh (fuzz/build-asan/), with
#            atheris's asan_with_fuzzer.so preloaded (LD_PRELOAD): libFuzzer coverage of
#            the compiled code as well as the Python code, and AddressSanitizer reports.
#            Without it: this checkout's normal build, Python coverage only.
# EXTRA_SEEDS=DIR[:DIR]  more seed directories for reader/pipeline, read, never written
#            (e.g. ../shared/ndpi-dev/pcaps).
# PYTHON     the interpreter (default python3); its atheris is the one used.
# BUILD_DIR  with --asan, the sanitizer build to fuzz (default fuzz/build-asan), e.g. one
#            made by SANITIZERS=address,undefined fuzz/build_asan.sh DIR.
#
# Corpora grow in fuzz/corpus/<name>/ (made by make_seeds.py if missing); crash files
# and each run's log go to fuzz/artifacts/. Known bugs (fuzz/_harness.py KNOWN_BUGS)
# are counted, not fatal (PORTLENS_FUZZ_ALLOW_KNOWN=1). Exit status: 0 when no harness
# found anything, else 1. The last lines of each log carry libFuzzer's figures
# (cov, ft, exec/s, stat::number_of_executed_units).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
ASAN=0
if [ "${1:-}" = "--asan" ]; then ASAN=1; shift; fi
SECONDS_EACH="${1:?usage: fuzz/run.sh [--asan] SECONDS [reader|pipeline|probes ...]}"
shift
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=(reader pipeline probes)

[ -d fuzz/corpus/probes ] || "$PYTHON" fuzz/make_seeds.py || exit 1
mkdir -p fuzz/artifacts

ENVV=(PORTLENS_FUZZ_ALLOW_KNOWN=1 PORTLENS_STRICT_PROBES=1)
if [ $ASAN -eq 1 ]; then
    BUILD_DIR="${BUILD_DIR:-$PWD/fuzz/build-asan}"
    [ -d "$BUILD_DIR/classifier" ] || fuzz/build_asan.sh "$BUILD_DIR" || exit 1
    RT="$("$PYTHON" -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so"
    if [ ! -e "$RT" ]; then
        echo "run.sh: $RT missing: build atheris from source (fuzz/README.md)" >&2
        exit 1
    fi
    ENVV+=(PYTHONPATH="$BUILD_DIR" LD_PRELOAD="$RT" PYTHONMALLOC=malloc
           ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}")
fi

status=0
for name in "${HARNESSES[@]}"; do
    case "$name" in
        reader|pipeline) maxlen=65536 ;;
        probes) maxlen=4096 ;;
        *) echo "run.sh: no harness $name" >&2; exit 2 ;;
    esac
    seeds=()
    if [ "$name" != probes ] && [ -n "${EXTRA_SEEDS:-}" ]; then
        IFS=: read -r -a seeds <<<"$EXTRA_SEEDS"
    fi
    log="fuzz/artifacts/$name.log"
    mkdir -p "fuzz/artifacts/$name"
    echo "== $name: ${SECONDS_EACH}s$([ $ASAN -eq 1 ] && echo ", sanitizer build $BUILD_DIR"), log $log"
    env "${ENVV[@]}" nice -n 10 "$PYTHON" "fuzz/fuzz_$name.py" "fuzz/corpus/$name" "${seeds[@]}" \
        -max_total_time="$SECONDS_EACH" -max_len="$maxlen" -timeout=60 -rss_limit_mb=4096 \
        -artifact_prefix="fuzz/artifacts/$name/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::number_of_executed_units|^stat::peak_rss|^known bug|^==[0-9]+==ERROR|runtime error|^SUMMARY' "$log" | tail -8
    echo "   exit $rc"
    [ $rc -eq 0 ] || status=1
done
exit $status
