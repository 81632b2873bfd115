#!/usr/bin/env bash
# Run every fuzz target in fuzz/ for SECONDS_PER_TARGET (default 60), one
# after the other, single process. Findings (crash-*, timeout-*, oom-*,
# leak-*) land in fuzz/artifacts/<target>/ and the script exits non-zero.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Toolchain: cargo fuzz wants nightly (it passes -Z flags for the sanitizer
# and coverage instrumentation). We only have stable, so we set
# RUSTC_BOOTSTRAP=1, which lets stable rustc accept those flags; this works
# with AddressSanitizer on stable 1.95. If the sanitizer build fails anyway,
# the script retries with `--sanitizer none` (libFuzzer still finds panics,
# hangs and huge allocations; only memory-safety checks of C code are lost).
#
# Limits that make hangs and unbounded allocation findings:
#   -timeout=10        an input taking over 10 s is a hang
#   -rss_limit_mb=2048 the process may not grow past 2 GiB
#   -malloc_limit_mb=2048 nor allocate more than that at once
#   -max_len           inputs up to 64 KiB (1 MiB for the line scanner)
# New inputs that add coverage are written to fuzz/corpus/<target>/; shrink
# the corpus before committing with `cargo fuzz cmin <target>`.
set -euo pipefail

SECS="${1:-60}"
shift || true
cd "$(dirname "$0")/.."

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    mapfile -t TARGETS < <(cargo fuzz list)
fi

SANITIZER=()
if ! cargo fuzz build -O "${TARGETS[0]}"; then
    echo "fuzz.sh: sanitizer build failed; using --sanitizer none" >&2
    SANITIZER=(--sanitizer none)
    cargo fuzz build -O "${SANITIZER[@]}" "${TARGETS[0]}"
fi

failed=()
for t in "${TARGETS[@]}"; do
    case "$t" in
        line_scan) max_len=1048576 ;;
        *) max_len=65536 ;;
    esac
    echo "== $t (${SECS}s)"
    mkdir -p "fuzz/corpus/$t"
    if ! cargo fuzz run -O "${SANITIZER[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -max_len="$max_len" -print_final_stats=1; then
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]} (see fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: no findings"
