#!/bin/bash
# Record what portlens reports for every capture it has at hand, to prove a refactor
# changed nothing: run it before and after, then `cmp` the two directories' files.
#
#   tools/snapshot_outputs.sh TREE OUTDIR
#
# TREE is a source tree with its extensions built in place (python setup.py
# build_ext --inplace); its classifier package is used through PYTHONPATH. OUTDIR gets
# pcaps.jsonl (every capture under TREE/pcaps) and ndpi.jsonl (every capture of
# ../shared/ndpi-dev/pcaps beside TREE, when it is there), each one `analyze -f jsonl`
# run over the sorted list, and the exit codes in `rc` (ndpi-dev holds a README and a
# truncated fuzz capture, so 3 there is expected).
set -u
tree=$(cd "$1" && pwd); out=$2; mkdir -p "$out"; out=$(cd "$out" && pwd)
cd "$tree"
export PYTHONPATH=$tree
unset PORTLENS_STRICT_PROBES
find pcaps -name '*.pcap*' | sort > "$out/pcaps.list"
python -m classifier analyze $(cat "$out/pcaps.list") -f jsonl -q --force -o "$out/pcaps.jsonl"
echo "pcaps rc=$?" > "$out/rc"
shared=$(dirname "$tree")/shared/ndpi-dev/pcaps
if [ -d "$shared" ]; then
    ls "$shared"/* | sort > "$out/ndpi.list"
    python -m classifier analyze $(cat "$out/ndpi.list") -f jsonl -q --force -o "$out/ndpi.jsonl"
    echo "ndpi rc=$?" >> "$out/rc"
fi
