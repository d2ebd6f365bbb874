#!/usr/bin/env bash
# tests/concurrency/run.sh - contexts share nothing by accident.
#
#  1. No hidden globals: a translation unit that uses every call of
#     lazymmu.h (and the simulator) but defines no data of its own must
#     contain no data symbol at all (nm), for every backend configuration,
#     debug and release, compiled -O2 -Wall -Wextra -Werror with every call
#     inlined into one function (as an embedder's code would).
#  2. tests/concurrency/threads.c under ThreadSanitizer, per configuration:
#     N threads (CPUs), each with its own context and simulated MMU, run
#     random sections at once; TSan must report nothing and every thread's
#     own checks must pass.
#  3. Negative controls, or the clean runs prove nothing: the same program
#     with two threads sharing one context (-DTHREADS_SHARE_CONTEXT=1) must
#     make TSan report a data race in lazymmu.h; and check 1 must flag a
#     translation unit that does define data (-DPLANT_DATA).
#
# Arguments: NAME=FLAGS per configuration (the Makefile's DEFS_<name>, passed
# by `make tsan`).  Environment: CC (default gcc; needs its TSan runtime, libtsan2 on Debian 12,
# which gcc's own dependencies install), TSAN_THREADS (4), TSAN_SECTIONS
# (2000 per thread).  Everything is bounded: each run also has a timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 NAME=FLAGS..." >&2; exit 2; }

CC=${CC:-gcc}
OUT=${TSAN_OUT:-build/tsan}
THREADS=${TSAN_THREADS:-4}
SECTIONS=${TSAN_SECTIONS:-2000}
W="-std=c11 -Wall -Wextra -Werror -pedantic"
mkdir -p "$OUT"

. tests/configs.sh
read_configs "$@"
fail=0

# 1. No data symbols.
cat >"$OUT/globals.c" <<'EOF'
#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_STATS 1
#include "lazymmu.h"
int use_everything(struct lazy_mmu *m, struct lazy_mmu_sim *s, lazy_mmu_pte_t *p);
#ifdef PLANT_DATA
static int planted;
#define PLANTED planted
#else
#define PLANTED 0
#endif
int use_everything(struct lazy_mmu *m, struct lazy_mmu_sim *s, lazy_mmu_pte_t *p)
{
    lazy_mmu_state_t a, b;
#ifdef PLANT_DATA
    planted += (int)lazy_mmu_is_active(m);
#endif
    lazy_mmu_sim_init(s, 0x40000000u, 64);
    lazy_mmu_init(m);
    lazy_mmu_sim_attach(m, s);
    a = lazy_mmu_enter(m);
    lazy_mmu_set_pte(m, p, 0x1001, 0x40000000u);
    lazy_mmu_invalidate_page(m, 0x40001000u);
    lazy_mmu_invalidate_range(m, 0x40002000u, 0x40004000u);
    lazy_mmu_flush(m);
    b = lazy_mmu_pause(m);
    lazy_mmu_resume(m, b);
    lazy_mmu_invalidate_all(m);
    lazy_mmu_leave(m, a);
    lazy_mmu_reset_stats(m);
    return (int)lazy_mmu_get_pte(m, p) + (int)lazy_mmu_is_active(m) +
           (int)lazy_mmu_get_stats(m)->updates + (int)lazy_mmu_sim_access(s, 0x40000000u) +
           (int)lazy_mmu_sim_stale(s) + PLANTED;
}
EOF
data_symbols() { nm --defined-only "$1" | awk '$2 ~ /^[BbCDdGgSsVv]$/ { print $3 }' | tr '\n' ' '; }
for cfg in $CONFIGS; do
    for dbg in 0 1; do
        obj=$OUT/globals-$cfg-$dbg.o
        # -O2 with every call inlined, as an embedder compiles it: also the
        # place where gcc's flow warnings (-Warray-bounds...) show up.
        # shellcheck disable=SC2086
        $CC $W -O2 -DLAZY_MMU_DEBUG=$dbg ${DEFS[$cfg]} -I. -c "$OUT/globals.c" -o "$obj"
        data=$(data_symbols "$obj")
        if [ -n "$data" ]; then
            echo "tsan: $cfg (LAZY_MMU_DEBUG=$dbg): lazymmu.h defines data: $data" >&2
            fail=1
        fi
    done
done
$CC $W -O2 -DPLANT_DATA -DLAZY_MMU_ARCH_X86_64 -I. -c "$OUT/globals.c" -o "$OUT/globals-planted.o"
if [ -z "$(data_symbols "$OUT/globals-planted.o")" ]; then
    echo "tsan: the data-symbol check misses a planted static variable" >&2
    fail=1
fi
[ $fail = 0 ] && echo "tsan: no data symbols in any configuration (debug and release);" \
    "a planted one is found"

# 2. Every configuration under TSan.
for cfg in $CONFIGS; do
    # shellcheck disable=SC2086
    $CC $W -O1 -g -fsanitize=thread -pthread ${DEFS[$cfg]} -I. tests/concurrency/threads.c \
        -o "$OUT/threads-$cfg"
    rc=0
    TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 300 "$OUT/threads-$cfg" "$THREADS" "$SECTIONS" \
        >"$OUT/threads-$cfg.log" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        echo "tsan: $cfg FAILED (exit $rc):" >&2
        head -40 "$OUT/threads-$cfg.log" >&2
        fail=1
    else
        echo "tsan: $cfg ok: $THREADS threads x $SECTIONS sections, no race," \
             "$(awk '{ v += $5 } END { print v }' "$OUT/threads-$cfg.log") visibility points checked"
    fi
done

# 3. The negative control must be caught.
# shellcheck disable=SC2086
$CC $W -O1 -g -fsanitize=thread -pthread -DLAZY_MMU_ARCH_X86_64 -DTHREADS_SHARE_CONTEXT=1 -I. \
    tests/concurrency/threads.c -o "$OUT/threads-shared"
rc=0
TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 300 "$OUT/threads-shared" 2 200 \
    >"$OUT/threads-shared.log" 2>&1 || rc=$?
if [ $rc -eq 66 ] && grep -q 'WARNING: ThreadSanitizer: data race' "$OUT/threads-shared.log" &&
    grep -q 'lazymmu.h' "$OUT/threads-shared.log"; then
    echo "tsan: negative control (two threads, one context) caught:" \
         "$(grep -m1 -A2 'WARNING: ThreadSanitizer' "$OUT/threads-shared.log" | tail -2 | sed 's/^ *//' | tr '\n' ' ')"
else
    echo "tsan: negative control NOT caught (exit $rc); see $OUT/threads-shared.log" >&2
    fail=1
fi
exit $fail
