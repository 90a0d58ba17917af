#!/usr/bin/env bash
# A bounded smoke run of every fuzz target, for CI and for a quick local check.
#
#   bash fuzz/smoke.sh                 # every target, FUZZ_SECONDS (20) each
#   FUZZ_SECONDS=300 bash fuzz/smoke.sh terraform kustomize
#
# Installs cargo-fuzz when it is missing, seeds fuzz/corpus/ when a target has no corpus
# (fuzz/seed.py), builds the targets once, then runs each in turn. Exits non-zero when any
# target finds a crash, a timeout (-timeout, seconds per input) or runaway memory
# (-rss_limit_mb); the input that did it is in fuzz/artifacts/<target>/, and
# `cargo +nightly fuzz run -s none <target> fuzz/artifacts/<target>/<file>` replays it.
#
# FUZZ_SANITIZER (default none: the targets are safe Rust, and a build without ASan is much
# faster to make and to run) may be set to address. FUZZ_PROFILE=dev builds without
# optimizations (about 4 minutes on two cores instead of 10, for runs that last seconds, as
# in CI; the executions are slower). Both builds keep debug assertions (overflow checks).
# FUZZ_SEEDS_PER_TARGET (default 400) caps the seeds of a target whose corpus is made here:
# libFuzzer runs every seed before it mutates, which in an unoptimised build takes longer
# than a smoke run's seconds.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-none}"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
build_flags=(-s "$sanitizer" --codegen-units 16)
case "${FUZZ_PROFILE:-release}" in
    release) ;;
    dev) build_flags+=(--dev) ;;
    *) echo "fuzz/smoke.sh: FUZZ_PROFILE is release or dev, not ${FUZZ_PROFILE}" >&2; exit 2 ;;
esac

if ! rustup toolchain list | grep -q "^$toolchain"; then
    echo "fuzz/smoke.sh: the $toolchain toolchain is not installed (cargo-fuzz needs nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "+$toolchain" fuzz list)
fi

missing=0
for t in "${targets[@]}"; do
    [ -n "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ] || missing=1
done
if [ "$missing" = 1 ]; then
    python3 fuzz/seed.py --max-per-target "${FUZZ_SEEDS_PER_TARGET:-400}"
fi

started=$(date +%s)
cargo "+$toolchain" fuzz build "${build_flags[@]}"
echo "fuzz/smoke.sh: built in $(($(date +%s) - started)) s"

failed=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/artifacts/$t/smoke.log"
    echo "fuzz/smoke.sh: $t (${seconds} s)"
    t0=$(date +%s)
    if cargo "+$toolchain" fuzz run "${build_flags[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1; then
        echo "  ok in $(($(date +%s) - t0)) s: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
    else
        echo "  FAILED ($t): the last lines of $log:" >&2
        tail -n 40 "$log" >&2
        failed+=("$t")
    fi
done

echo "fuzz/smoke.sh: ${#targets[@]} targets in $(($(date +%s) - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/smoke.sh: failed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
