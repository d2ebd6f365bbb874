#!/usr/bin/env bash
# tests/fuzz/planted.sh OUT SECONDS RUNS NAME=FLAGS... - does the fuzzer find a
# planted bug, and how fast?  Not part of CI: run it after changing the
# fuzzer or the corpus (`make fuzz-planted`).
#
# PLANTED_BUG=last-page (the default): the last page of a coalesced range
# (one of two pages or more) is never invalidated - planted in
# lazy_mmu__for_each_page, and in paravirt's own walk of the ranges.
# PLANTED_BUG=superset: a request that overlaps a pending range and extends
# it at both ends extends only its start (lazy_mmu__defer_pages), so its
# pages past the old end are dropped: rarer, it needs a multi-page request.
# Planted in a copy of lazymmu.h and arch/ under OUT/planted/ (the tree is
# never touched).  x86_64_ept invalidates the whole EPT at every visibility
# point and never walks ranges: neither bug can show there.
# Each configuration is fuzzed RUNS times for at most SECONDS, from its seed
# corpus and from an empty one; prints the seconds each run took to crash
# ("-" if it did not within SECONDS).
set -euo pipefail
cd "$(dirname "$0")/../.."

[ $# -ge 4 ] || { echo "usage: $0 OUT SECONDS RUNS NAME=FLAGS..." >&2; exit 2; }
OUT=$1/planted SECS=$2 RUNS=$3
shift 3
FUZZ_CC=${FUZZ_CC:-clang}

rm -rf "$OUT"
mkdir -p "$OUT/src"
cp lazymmu.h "$OUT/src/"
cp -r arch "$OUT/src/"

# plant FILE PERL-SUBSTITUTION: fails unless the substitution matched once.
plant() {
    perl -0pi -e "\$n = ($2); die \"planted.sh: no match in $1\\n\" unless \$n == 1" "$OUT/src/$1"
}
case ${PLANTED_BUG:=last-page} in
last-page)
plant lazymmu.h 's/(        for \(;; va \+= LAZY_MMU_PAGE_SIZE\) \{\n)(            fn\(m, va\);)/$1            if (va == m->ranges[i].last && va != m->ranges[i].first)\n                break; \/\* PLANTED \*\/\n$2/'
plant arch/paravirt/policy.h 's/(op\[n\]\.val = \(\(m->ranges\[i\]\.last - m->ranges\[i\]\.first\) >> LAZY_MMU_PAGE_SHIFT\) \+ 1);/$1;\n            op[n].val -= op[n].val > 1; \/* PLANTED *\//'
;;
superset)
plant lazymmu.h 's/l = last > r->last \? last : r->last;/l = last > r->last \&\& first >= r->first ? last : r->last; \/* PLANTED *\//'
;;
*) echo "planted.sh: PLANTED_BUG=last-page or superset" >&2; exit 2 ;;
esac
grep -c PLANTED "$OUT/src/lazymmu.h" "$OUT/src/arch/paravirt/policy.h" | sed "s/^/planted ($PLANTED_BUG): /"

FLAGS="-std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
. tests/configs.sh
read_configs "$@"

# One run: seconds to the first crash, or "-".
one() {
    local cfg=$1 corpus=$2 work t0 t1 rc=0
    work=$(mktemp -d "${TMPDIR:-/tmp}/lazymmu-planted-$cfg.XXXXXX")
    [ "$corpus" = seeds ] && cp "tests/fuzz/corpus/$cfg"/* "$work/"
    mkdir "$work/crash"
    t0=$(date +%s.%N)
    "$OUT/fuzz-$cfg" -max_total_time="$SECS" -max_len=4096 -timeout=10 \
        -artifact_prefix="$work/crash/" "$work" >"$OUT/fuzz-$cfg-$corpus.log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    if [ "$rc" -ne 0 ] && grep -q 'FAIL:' "$OUT/fuzz-$cfg-$corpus.log"; then
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
    else
        printf -- '-'
    fi
    rm -rf "$work"
}

for cfg in $CONFIGS; do
    # shellcheck disable=SC2086
    "$FUZZ_CC" $FLAGS ${DEFS[$cfg]} -DFUZZ_CONFIG="\"$cfg (planted)\"" -I"$OUT/src" \
        tests/fuzz/fuzz_lazymmu.c -o "$OUT/fuzz-$cfg"
    for corpus in seeds empty; do
        times=""
        for _ in $(seq "$RUNS"); do times="$times $(one "$cfg" "$corpus")"; done
        printf 'planted %-16s from %-5s corpus: seconds to crash:%s\n' "$cfg" "$corpus" "$times"
    done
done
