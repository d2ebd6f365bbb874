#!/usr/bin/env bash
# tests/fuzz/run.sh OUT SECONDS JOBS CONFIG... - fuzz the targets `make fuzz`
# built (OUT/fuzz-<config>), each for SECONDS, JOBS at once, each from a
# private copy of tests/fuzz/corpus/<config>/ so runs never grow the
# repository.  Prints per target the executions and the coverage reached;
# exits non-zero if any target crashed (or hung), printing the crashing
# input's path and its operations.  Crashes are kept in OUT/crashes/<config>/.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ $# -ge 4 ] || { echo "usage: $0 OUT SECONDS JOBS CONFIG..." >&2; exit 2; }
OUT=$1 SECS=$2 JOBS=$3
shift 3
CONFIGS=("$@")

fuzz_one() {
    local cfg=$1 work rc=0
    work=$(mktemp -d "${TMPDIR:-/tmp}/lazymmu-fuzz-$cfg.XXXXXX")
    if [ -d "tests/fuzz/corpus/$cfg" ]; then
        cp "tests/fuzz/corpus/$cfg"/* "$work/" 2>/dev/null || true
    fi
    rm -rf "$OUT/crashes/$cfg"
    mkdir -p "$OUT/crashes/$cfg"
    # -max_total_time bounds the run; timeout(1) is the backstop for a hang
    # in the fuzzer itself (-timeout catches one in an input).
    timeout -k 10 $((SECS + 120)) "$OUT/fuzz-$cfg" -max_total_time="$SECS" \
        -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$OUT/crashes/$cfg/" "$work" >"$OUT/fuzz-$cfg.log" 2>&1 || rc=$?
    rm -rf "$work"
    return $rc
}

declare -A PIDS=()
running=0
for cfg in "${CONFIGS[@]}"; do
    [ -x "$OUT/fuzz-$cfg" ] || { echo "fuzz: $OUT/fuzz-$cfg not built" >&2; exit 2; }
    fuzz_one "$cfg" &
    PIDS[$cfg]=$!
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done

failed=0
for cfg in "${CONFIGS[@]}"; do
    rc=0
    wait "${PIDS[$cfg]}" || rc=$?
    log=$OUT/fuzz-$cfg.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    # libFuzzer's status lines: "#N<TAB>INITED cov: X ft: Y corp: ..." once the
    # seeds ran, "#N<TAB>DONE cov: ..." at the end (absent after a crash).
    cov0=$(grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/\1\/\2/' | tail -1 || true)
    cov=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -1 |
        sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/\1\/\2, corpus \3/' || true)
    seeds=$(sed -nE 's/^INFO: seed corpus: files: ([0-9]+).*/\1/p' "$log" | head -1)
    crash=$(find "$OUT/crashes/$cfg" -type f | head -1)
    if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
        printf 'fuzz %-16s ok  %s s, %s executions (%s/s); cov/features: %s from %s seeds, %s\n' \
            "$cfg" "$SECS" "${execs:-?}" "${speed:-?}" "${cov0:-?}" "${seeds:-0}" "${cov:-?}"
        continue
    fi
    failed=1
    printf 'fuzz %-16s FAILED  exit %s after %s executions; log: %s\n' "$cfg" "$rc" "${execs:-?}" "$log"
    grep -m1 -E 'FAIL:|ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error' \
        "$log" | sed 's/^/    /' || true
    if [ -n "$crash" ]; then
        echo "    crashing input: $crash"
        echo "    its operations (LAZYMMU_FUZZ_TRACE=1 $OUT/fuzz-$cfg $crash):"
        LAZYMMU_FUZZ_TRACE=1 timeout 60 "$OUT/fuzz-$cfg" "$crash" 2>&1 |
            grep -E '^lazymmu fuzz|^ +[0-9]+: ' | sed 's/^/    /' || true
    fi
done
exit $failed
