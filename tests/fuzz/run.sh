#!/bin/sh
# Builds the libFuzzer targets with clang in their own build directory and
# runs each for SECONDS, starting from the checked-in seed corpus.  Skips
# (successfully, with a notice) when clang is not installed.
#
#   run.sh [BUILD [SECONDS [SEED]]]
#
# SEED 0 (the default) lets libFuzzer pick one; with any other, a fresh
# build directory tries the same inputs in the same order each run, so
# `make test` repeats its verdict and a longer run with the same seed
# covers what a shorter one tried.  Address
# randomisation is turned off for seeded runs where setarch may do so:
# libFuzzer learns the values the code compares against, pointers among
# them, and a pointer that moves would change the inputs it tries.
set -eu
build=${1:-build-fuzz}
seconds=${2:-15}
seed=${3:-0}
norand=""
if [ "$seed" != 0 ] && setarch "$(uname -m)" -R true 2>/dev/null; then
    norand="setarch $(uname -m) -R"
fi
if ! command -v clang >/dev/null 2>&1; then
    echo "SKIP: fuzz: clang not installed, no fuzz runs" >&2
    exit 0
fi
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DWATTSON_FUZZ=ON -DWATTSON_SANITIZE=ON >/dev/null
cmake --build "$build" --target fuzz_lab fuzz_trace fuzz_ipc fuzz_journal fuzz_pmbus fuzz_qtab fuzz_meshlab fuzz_pdprof fuzz_gpmetis fuzz_dncfg fuzz_pcplx fuzz_vgproto fuzz_ipcwire fuzz_ipcsrv fuzz_ofwire fuzz_ofzst fuzz_ofblk fuzz_ofmsg fuzz_ofrcfg fuzz_trread -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
for t in lab trace ipc journal pmbus qtab meshlab pdprof gpmetis dncfg pcplx vgproto ipcwire ipcsrv ofwire ofzst ofblk ofmsg ofrcfg trread; do
    work="$build/corpus-$t"
    # the shipped mesh labs seed the mesh section's fuzzer as they are
    extra=""
    [ "$t" = meshlab ] && extra="lua-policies/labs/mesh"
    mkdir -p "$work"
    echo "fuzz: fuzz_$t for ${seconds}s" >&2
    $norand "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -seed="$seed" -timeout=10 \
        -artifact_prefix="$build/" -print_final_stats=1 "$work" \
        "tests/fuzz/corpus/$t" $extra 2>"$build/fuzz_$t.log" || {
        tail -n 40 "$build/fuzz_$t.log" >&2
        echo "fuzz: fuzz_$t found a problem (see $build/fuzz_$t.log)" >&2
        exit 1
    }
    grep -E 'stat::number_of_executed_units' "$build/fuzz_$t.log" >&2 || true
done
