#!/usr/bin/env bash
# Benchmark sidtrace against its peers on the same files (see README,
# "Performance"). Usage: bench/run.sh [--quick]
#
#   SIDTRACE_BENCH_DATA  where generated corpora are cached (default bench/data,
#                        bench/data-quick with --quick)
#   BENCH_RUNS           hyperfine runs per command (default 5)
#   BENCH_BIG=0          skip the 4 GiB memory check
#   BENCH_GENERATE_ONLY=1  only build and generate the corpora
#   --quick              small corpora (64 MiB instead of 1 GiB …), for a smoke test
#
# Prints a Markdown table: case, sidtrace time, reference time, ratio (ours /
# theirs), target, peak RSS. Every case also checks that sidtrace's hit count
# equals rg's count of Messages.json lines, and that -j1 and -j2 agree.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${BENCH_RUNS:-5}
BIG=${BENCH_BIG:-1}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
if [ $QUICK = 1 ]; then
    DATA=${SIDTRACE_BENCH_DATA:-$ROOT/bench/data-quick}
else
    DATA=${SIDTRACE_BENCH_DATA:-$ROOT/bench/data}
fi

if [ $QUICK = 1 ]; then
    GIB=64MiB; JSON=32MiB; GOA=20MB; MULTI=32MiB; RECORDS=100000; POSTS=10000
else
    GIB="1GiB"; JSON=256MiB; GOA=200MB; MULTI=512MiB; RECORDS=1000000; POSTS=100000
fi

# --- peers -------------------------------------------------------------
need=()
for pair in rg:ripgrep pigz:pigz zstd:zstd jq:jq goaccess:goaccess hyperfine:hyperfine; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- build ---------------------------------------------------------------
cargo build --release --quiet --bin sidtrace --example gen_corpus
TGT=${CARGO_TARGET_DIR:-$ROOT/target}
SID=$TGT/release/sidtrace
GEN=$TGT/release/examples/gen_corpus
unset SIDTRACE_THREADS # let -j (or the core count) decide

# --- corpora (cached) ----------------------------------------------------
mkdir -p "$DATA"
gen() { # file kind size [extra args]
    local f=$1; shift
    [ -s "$DATA/$f" ] || "$GEN" "$1" --out "$DATA/$f" --size "$2" "${@:3}"
}
gen nginx.log nginx-combined $GIB
[ -s "$DATA/nginx.log.gz" ] || pigz -6 -p2 -c "$DATA/nginx.log" > "$DATA/nginx.log.gz"
[ -s "$DATA/nginx.log.zst" ] || zstd -q -3 -T2 -c "$DATA/nginx.log" > "$DATA/nginx.log.zst"
gen web-a.log.gz nginx-combined $MULTI --compress gz-members --seed 4
gen web-b.log.gz nginx-combined $MULTI --compress gz-members --seed 5
gen egress-a.log.gz nginx-egress $MULTI --compress gz-members --seed 2
gen egress-b.log.gz nginx-egress $MULTI --compress gz-members --seed 3
[ -d "$DATA/rotated" ] || "$GEN" rotated --out "$DATA/rotated" --size $GIB --files 8
gen app.json json-zap $JSON
gen app-cri.log json-zap $JSON --wrap cri --seed 11
gen goaccess.log apache-combined $GOA
gen inv-logs.json json-zap $JSON --posts $POSTS --seed 7
gen inv-twilio.csv twilio-csv 0 --records $RECORDS --posts $POSTS --seed 7
gen inv-logs-s.json json-zap $(( $(stat -c %s "$DATA/inv-logs.json") / 10 )) --posts $((POSTS / 10)) --seed 7
gen inv-twilio-s.csv twilio-csv 0 --records $((RECORDS / 10)) --posts $((POSTS / 10)) --seed 7
EGRESS=(--grammar "$ROOT/samples/etc/nginx/nginx.conf")
[ "${BENCH_GENERATE_ONLY:-0}" = 1 ] && { echo "corpora ready in $DATA" >&2; exit 0; }

# --- helpers -------------------------------------------------------------
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mean() { # hyperfine json -> mean seconds of command $2
    jq -r ".results[$2].mean" "$1"
}
bench() { # name ours theirs -> sets T_OURS T_THEIRS
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/h.json" \
        --output=null "$2" "$3" >&2 2>&1 || hyperfine --warmup 1 --runs "$RUNS" \
        --export-json "$TMP/h.json" --output=null "$2" "$3" >&2
    T_OURS=$(mean "$TMP/h.json" 0)
    T_THEIRS=$(mean "$TMP/h.json" 1)
}
bench_shell() { # like bench, through a shell (pipes, loops)
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$TMP/h.json" \
        --output=null "$2" "$3" >&2
    T_OURS=$(mean "$TMP/h.json" 0)
    T_THEIRS=$(mean "$TMP/h.json" 1)
}
rss() { # command... -> peak RSS in MiB
    /usr/bin/time -v "$@" >/dev/null 2>"$TMP/rss" || true
    awk '/Maximum resident set size/ {printf "%.0f", $6/1024}' "$TMP/rss"
}
check() { # label expected_count sidtrace-args...
    local label=$1 want=$2; shift 2
    "$SID" extract --quiet -j1 "$@" > "$TMP/j1.out" || [ $? = 3 ]
    "$SID" extract --quiet -j2 "$@" > "$TMP/j2.out" || [ $? = 3 ]
    local got; got=$(wc -l < "$TMP/j1.out")
    if [ "$got" != "$want" ]; then
        echo "MISMATCH $label: sidtrace found $got POSTs, rg counts $want" >&2; FAILED=1
    fi
    if ! cmp -s "$TMP/j1.out" "$TMP/j2.out"; then
        echo "MISMATCH $label: -j1 and -j2 outputs differ" >&2; FAILED=1
    fi
}
ROWS=()
row() { # case reference target ratio-text rss
    ROWS+=("| $1 | $2 | $(printf %.3f "$T_OURS") s | $(printf %.3f "$T_THEIRS") s | $3 | $4 | $5 |")
}
ratio() { awk -v a="$T_OURS" -v b="$T_THEIRS" 'BEGIN{printf "%.2f×", a/b}'; }
speedup() { awk -v a="$T_OURS" -v b="$T_THEIRS" 'BEGIN{printf "%.0f× faster", b/a}'; }
FAILED=0
rgcount() { rg -c Messages.json "$@" | awk -F: '{s+=$NF} END{print s+0}'; }

# --- cases ---------------------------------------------------------------
F=$DATA/nginx.log
check "1 GiB plain" "$(rgcount "$F")" "$F"
bench t1 "$SID extract --quiet -j1 $F" "rg -c Messages.json $F"
row "$GIB plain nginx log, one thread" "\`rg -c Messages.json FILE\`" "≤ 1.0×" "$(ratio)" "$(rss "$SID" extract --quiet -j1 "$F") MiB"
bench t1b "$SID extract --quiet -j2 $F" "rg -c Messages.json $F"
row "$GIB plain nginx log, -j2 (chunks)" "\`rg -c Messages.json FILE\`" "≤ 0.7×" "$(ratio)" "$(rss "$SID" extract --quiet -j2 "$F") MiB"

D=$DATA/rotated
check "rotated dir" "$(rgcount "$D")" "$D"
bench t2 "$SID extract --quiet $D" "rg -c Messages.json $D"
row "directory of 8 plain files ($GIB)" "\`rg -c Messages.json DIR\`" "≤ 1.1×" "$(ratio)" "$(rss "$SID" extract --quiet "$D") MiB"

G=$DATA/nginx.log.gz
check "one .gz" "$(pigz -dc "$G" | rgcount)" "$G"
bench_shell t3 "$SID extract --quiet $G" "pigz -p1 -dc $G > /dev/null"
row "one .gz ($GIB inflated)" "\`pigz -p1 -dc FILE\`" "≤ 1.0×" "$(ratio)" "$(rss "$SID" extract --quiet "$G") MiB"

GA=$DATA/web-a.log.gz; GB=$DATA/web-b.log.gz
check "two multi-member .gz" "$( (pigz -dc "$GA"; pigz -dc "$GB") | rgcount)" "$GA" "$GB"
bench_shell t4 "$SID extract --quiet -j2 $GA $GB" "pigz -p1 -dc $GA > /dev/null; pigz -p1 -dc $GB > /dev/null"
row "two .gz (nginx combined, nginx-style 64 KiB members, 2 × $MULTI), -j2" "\`pigz -p1 -dc\` one after another" "≤ 0.6×" "$(ratio)" "$(rss "$SID" extract --quiet -j2 "$GA" "$GB") MiB"

GA=$DATA/egress-a.log.gz; GB=$DATA/egress-b.log.gz
check "two multi-member .gz" "$( (pigz -dc "$GA"; pigz -dc "$GB") | rgcount)" "${EGRESS[@]}" "$GA" "$GB"
bench_shell t4 "$SID extract --quiet -j2 ${EGRESS[*]} $GA $GB" "pigz -p1 -dc $GA > /dev/null; pigz -p1 -dc $GB > /dev/null"
row "two .gz, egress format with request ids (so pass 2 runs), 2 × $MULTI, -j2" "\`pigz -p1 -dc\` one after another" "≤ 0.6×" "$(ratio)" "$(rss "$SID" extract --quiet -j2 "${EGRESS[@]}" "$GA" "$GB") MiB"

Z=$DATA/nginx.log.zst
check "one .zst" "$(zstd -dc "$Z" | rgcount)" "$Z"
bench_shell t5 "$SID extract --quiet $Z" "zstd -dc $Z > /dev/null"
row "one .zst ($GIB inflated)" "\`zstd -dc FILE\`" "≤ 1.15×" "$(ratio)" "$(rss "$SID" extract --quiet "$Z") MiB"

J=$DATA/app.json
check "JSON app log" "$(rgcount "$J")" "$J"
bench t6 "$SID extract --quiet $J" "rg -c Messages.json $J"
row "$JSON JSON app log (zap)" "\`rg -c Messages.json FILE\`" "≤ 1.25×" "$(ratio)" "$(rss "$SID" extract --quiet "$J") MiB"
JQ="jq -c 'select(.method==\"POST\" and ((.url // \"\") | contains(\"Messages.json\")))' $J"
bench_shell t6b "$SID extract --quiet $J" "$JQ"
row "$JSON JSON app log (zap)" "\`jq -c 'select(…)'\`" "≥ 50× faster" "$(speedup)" "—"

C=$DATA/app-cri.log
check "CRI-wrapped JSON app log" "$(rgcount "$C")" "$C"
bench t7 "$SID extract --quiet $C" "rg -c Messages.json $C"
row "$JSON CRI-wrapped JSON app log (containerd; 1 line in 97 split P/F around a stderr line)" "\`rg -c Messages.json FILE\`" "≤ 1.3×" "$(ratio)" "$(rss "$SID" extract --quiet "$C") MiB"

A=$DATA/goaccess.log
check "goaccess log" "$(rgcount "$A")" "$A"
hyperfine --warmup 0 --runs 1 --export-json "$TMP/h.json" --output=null \
    "$SID extract --quiet $A" "goaccess $A --log-format=COMBINED -o $TMP/report.json" >&2
T_OURS=$(mean "$TMP/h.json" 0); T_THEIRS=$(mean "$TMP/h.json" 1)
row "$GOA Apache combined log" "\`goaccess FILE --log-format=COMBINED -o report.json\`" "≥ 100× faster" "$(speedup)" "—"

# Peak memory at 1 GiB and 4 GiB of input (the 4 GiB file is made and deleted here).
R1=$(rss "$SID" extract --quiet "$F")
if [ "$BIG" = 1 ] && [ $QUICK = 0 ]; then
    "$GEN" nginx-combined --out "$DATA/big4.log" --size 4GiB --seed 9
    R4=$(rss "$SID" extract --quiet "$DATA/big4.log")
    rm -f "$DATA/big4.log"
else
    R4="(skipped)"
fi
T_OURS=0; T_THEIRS=1
ROWS+=("| peak RSS, extract, $GIB vs 4 GiB plain | — | — | — | ≤ 256 MiB, same for both | $R1 MiB / $R4 MiB | |")

# Investigate: correlation share and scaling (10× the data).
inv() { SIDTRACE_TIMINGS=1 "$SID" investigate --quiet "$1" --twilio "$2" --format json >/dev/null 2>"$TMP/timing" || true; }
inv "$DATA/inv-logs.json" "$DATA/inv-twilio.csv"
SHARE=$(awk '/correlate/ {gsub(/[()%]/,""); print $NF}' "$TMP/timing")
hyperfine --warmup 1 --runs 3 --export-json "$TMP/h.json" --output=null \
    "$SID investigate --quiet $DATA/inv-logs-s.json --twilio $DATA/inv-twilio-s.csv --format json" \
    "$SID investigate --quiet $DATA/inv-logs.json --twilio $DATA/inv-twilio.csv --format json" >&2
T_OURS=$(mean "$TMP/h.json" 1); T_THEIRS=$(mean "$TMP/h.json" 0)
SCALE=$(awk -v a="$T_OURS" -v b="$T_THEIRS" 'BEGIN{printf "%.1f×", a/b}')
RI=$(rss "$SID" investigate --quiet "$DATA/inv-logs.json" --twilio "$DATA/inv-twilio.csv" --format json)
ROWS+=("| investigate, $RECORDS Twilio records + $POSTS POSTs | — | $(printf %.3f "$T_OURS") s | — | correlation ≤ 20 % | correlation $SHARE % | $RI MiB |")
ROWS+=("| investigate, 10× the data (vs $((RECORDS / 10)) records + $((POSTS / 10)) POSTs) | — | $(printf %.3f "$T_OURS") s | $(printf %.3f "$T_THEIRS") s | ≤ 11× | $SCALE | |")

# --- table ---------------------------------------------------------------
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(rg --version | head -1), pigz $(pigz -V 2>&1 | awk '{print $2}'), zstd $(zstd -V | grep -o 'v[0-9.]*' | head -1), goaccess $(goaccess -V | awk 'NR==1 {print $NF}')"
echo
echo "| case | reference | sidtrace | reference | target | result | peak RSS |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
[ $FAILED = 0 ] || { echo "output checks FAILED (see above)" >&2; exit 1; }
