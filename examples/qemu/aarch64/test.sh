#!/bin/sh
# examples/qemu/aarch64/test.sh - boots the nine kernels and judges them;
# called by `make test` with QEMU, QEMU_FLAGS, SMP_FLAGS, TIMEOUT,
# TRACE_TIMEOUT, FLUSH_ALL_THRESHOLD, OBJDUMP and NM in the environment.  One
# verdict line per check; exits non-zero at the first check that does not hold.
set -u
cd "$(dirname "$0")"

boot() { # elf log [extra qemu flags...]: the exit status of QEMU (124: timeout)
    elf=$1 log=$2
    shift 2
    st=0
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" $QEMU $QEMU_FLAGS "$@" -kernel "$elf" >"$log" 2>&1 || st=$?
    return $st
}

# window_va LOG: the window VA arch_mmu_init reported, if it is in the
# upper half (TTBR1_EL1's, VA[63:39] all ones); empty otherwise.
window_va() {
    sed -n 's/^window: VA \(0xffffff[89a-f][0-9a-f]\{9\}\) (TTBR1_EL1.*/\1/p' "$1"
}
# high_window LOG: called after every boot.  Each kernel's scenarios, SMP
# steps and negative controls must change mappings of high addresses, or
# the TLBI operands' handling of them (VA[55:12] of 0xffff...) goes
# unchecked: stop unless LOG reports an upper-half window.
high_window() {
    if [ -z "$(window_va "$1")" ]; then
        echo "aarch64 $1: FAILED (no upper-half window reported: $(grep -m1 '^window:' "$1" || echo 'no window line'))"
        exit 1
    fi
}

# 1. The kernel: exit 0 and the summary line; semihosting passes the
#    kernel's status through, a crash or timeout cannot give 0.
st=0; boot kernel.elf kernel.log || st=$?
high_window kernel.log
if [ $st -eq 0 ] && grep -qx 'PASS aarch64: 0 scenario(s) failed' kernel.log; then
    echo "aarch64 kernel: PASS (exit 0, $(grep -c '^PASS [a-z]* n=' kernel.log) scenario runs passed, window at upper-half VA $(window_va kernel.log))"
else
    grep -E '^(FAIL|PANIC|EXCEPTION|FATAL|  )' kernel.log | head -20
    echo "aarch64 kernel: FAILED (exit $st; see kernel.log)"
    exit 1
fi

# 2. Its COUNT lines against the policy.
awk -v threshold="$FLUSH_ALL_THRESHOLD" -f counts.awk kernel.log || exit 1

# 3. The negative control must fail for the reason it was built for: FAIL
#    scenario lines whose first bad page is stale or faulted, the kernel's own
#    exit status 1, and no panic, exception or timeout.
st=0; boot kernel-neg.elf kernel-neg.log || st=$?
high_window kernel-neg.log
fails=$(grep -cE '^FAIL [a-z]+ n=[0-9]+$' kernel-neg.log)
reasons=$(grep -cE '^  [a-z]+ n=[0-9]+: page [0-9]+ (stale|faulted|should fault|write)' kernel-neg.log)
crashes=$(grep -cE '^(PANIC|EXCEPTION|FATAL)' kernel-neg.log)
grep -E '^(FAIL [a-z]+ n=|  [a-z]+ n=[0-9]+: page)' kernel-neg.log | head -6 | sed 's/^/    neg| /'
if [ $st -eq 1 ] && [ "$fails" -gt 0 ] && [ "$reasons" -gt 0 ] && [ "$crashes" -eq 0 ]; then
    echo "aarch64 negative control: FAILED as it must (exit 1, $fails FAIL scenario(s), each for a stale or faulting page; no panic, exception or timeout)"
else
    grep -E '^(PANIC|EXCEPTION|FATAL)' kernel-neg.log
    echo "aarch64 negative control: WRONG (exit $st, $fails FAIL scenario(s), $reasons reason line(s), $crashes crash line(s); see kernel-neg.log)"
    exit 1
fi

# 4. The count check must reject the negative control's counts (it skipped
#    publishes), or it checks nothing.
if awk -v threshold="$FLUSH_ALL_THRESHOLD" -f counts.awk kernel-neg.log >counts-neg.log 2>&1; then
    echo "aarch64 counts on the negative control: WRONG (accepted counts of a kernel that writes around the library)"
    exit 1
fi
echo "aarch64 counts on the negative control: rejected as they must be ($(grep -c 'policy says' counts-neg.log) mismatching field(s))"

# 5. The facts kernel: QEMU's observations (informative) and the library's
#    counts for every kind of update (must match).
st=0; boot kernel-facts.elf kernel-facts.log || st=$?
high_window kernel-facts.log
grep -E '^FACT|MISMATCH' kernel-facts.log | sed 's/^/    facts| /'
if [ $st -eq 0 ] && grep -qx 'PASS aarch64 facts: 0 count check(s) failed' kernel-facts.log; then
    echo "aarch64 facts kernel: PASS ($(grep -c '^CHECK .* ok$' kernel-facts.log) count/memory checks matched the policy)"
else
    grep -E '^(PANIC|EXCEPTION|FATAL)' kernel-facts.log
    echo "aarch64 facts kernel: FAILED (exit $st; see kernel-facts.log)"
    exit 1
fi

# The -dfilter ranges (addr+size) of an ELF's trace_* functions and of the
# library code the compiler kept out of line (lazy_mmu*): only they are
# logged, so the rest of the kernel does not fill the log.
ranges_of() {
    $NM -S "$1" | awk '$3 ~ /^[tT]$/ && $4 ~ /^(trace_|lazy_mmu)/ { printf "%s0x%s+0x%s", sep, $1, $2; sep = "," }'
}

# 6. The order of the executed barriers, from QEMU's instruction log,
#    filtered to the traced functions and the library code kept out of line.
ranges=$(ranges_of kernel-facts.elf)
$OBJDUMP -d kernel-facts.elf >kernel-facts.dis
st=0; boot kernel-facts.elf trace-boot.log -singlestep -d exec,nochain -dfilter "$ranges" -D trace.log || st=$?
if [ $st -ne 0 ]; then
    echo "aarch64 trace: FAILED (the traced boot exited $st; see trace-boot.log)"
    exit 1
fi
awk -f trace.awk kernel-facts.dis trace.log || exit 1

# 7. The trace check must reject a trace that lacks the DSB ISH (the
#    completion barrier QEMU cannot show missing), or it checks nothing.
dsb_ish_pcs=$(awk -F'\t' '$3 == "dsb" && $4 == "ish" { a = $1; sub(/:$/, "", a); gsub(/ /, "", a); printf "%s/%016s/\n", (n++ ? "|" : ""), a }' kernel-facts.dis | tr ' ' 0 | tr -d '\n')
grep -vE "$dsb_ish_pcs" trace.log >trace-no-dsb-ish.log
if awk -f trace.awk kernel-facts.dis trace-no-dsb-ish.log >trace-neg.log 2>&1; then
    echo "aarch64 trace on a trace without DSB ISH: WRONG (accepted)"
    exit 1
fi
echo "aarch64 trace on a trace without DSB ISH: rejected as it must be"

# 8. The spaces kernel (common/spaces.c, arch-spaces.c): a 2 MiB block
#    mapped, remapped, made read-only and split into a table page, the table
#    unlinked, handed back only after the visibility point and reused; two
#    address spaces (ASIDs 1 and 2): an inactive one changed with no
#    invalidation, per-page and full invalidations of one ASID.
st=0; boot kernel-spaces.elf kernel-spaces.log || st=$?
high_window kernel-spaces.log
if [ $st -eq 0 ] && grep -qx 'PASS aarch64 spaces: 0 scenario(s) failed' kernel-spaces.log; then
    echo "aarch64 spaces kernel: PASS (exit 0, $(grep -cE '^PASS [a-z-]+$' kernel-spaces.log) scenarios passed: 2 MiB blocks, table pages freed and reused, ASIDs 1 and 2 on the window at $(window_va kernel-spaces.log))"
else
    grep -E '^(FAIL|PANIC|EXCEPTION|FATAL|  )' kernel-spaces.log | head -20
    echo "aarch64 spaces kernel: FAILED (exit $st; see kernel-spaces.log)"
    exit 1
fi

# 9. Its negative control (block and table changes as plain stores, no
#    space named) must fail for that reason: block-remap, block-protect,
#    split and table-unlink on a page that read stale, faulted, should have
#    faulted or took a write it should not have ("  NAME: page N REASON",
#    spaces.c's first bad page, before FAIL NAME), space-inactive on its
#    counts (the all-spaces forms invalidate what an inactive space needs
#    not).  What it leaves to the library must still pass: block-map (a new
#    entry) and space-pages / space-full (the all-spaces forms are correct,
#    only wider).  The kernel's own exit status 1, no panic, exception or
#    timeout.
st=0; boot kernel-spaces-neg.elf kernel-spaces-neg.log || st=$?
high_window kernel-spaces-neg.log
crashes=$(grep -cE '^(PANIC|EXCEPTION|FATAL)' kernel-spaces-neg.log)
wrong=""
for sc in block-remap block-protect split table-unlink; do
    grep -qx "FAIL $sc" kernel-spaces-neg.log &&
        grep -qE "^  $sc: page [0-9]+ (stale|faulted|should fault|write)" kernel-spaces-neg.log ||
        wrong="$wrong $sc"
done
grep -qx 'FAIL space-inactive' kernel-spaces-neg.log &&
    grep -qE '^  space-inactive: page [0-9]+ counts ' kernel-spaces-neg.log || wrong="$wrong space-inactive"
for sc in block-map space-pages space-full; do
    grep -qx "PASS $sc" kernel-spaces-neg.log || wrong="$wrong $sc(should pass)"
done
grep -E '^  [a-z-]+: page' kernel-spaces-neg.log | sed 's/^/    spaces-neg| /'
if [ $st -eq 1 ] && grep -qE '^FAIL aarch64 spaces: [1-9][0-9]* scenario\(s\) failed$' kernel-spaces-neg.log &&
    [ -z "$wrong" ] && [ "$crashes" -eq 0 ]; then
    echo "aarch64 spaces negative control: FAILED as it must (exit 1, $(grep -cE '^FAIL [a-z-]+$' kernel-spaces-neg.log) FAIL scenario(s): block-remap, block-protect, split, table-unlink on a page read or written, space-inactive on its counts; no panic, exception or timeout)"
else
    grep -E '^(PANIC|EXCEPTION|FATAL)' kernel-spaces-neg.log
    echo "aarch64 spaces negative control: WRONG (exit $st, not as built to fail:${wrong:- none}, $crashes crash line(s); see kernel-spaces-neg.log)"
    exit 1
fi

# 10. The invalidation forms the spaces kernel's trace_* functions executed
#     (QEMU's TLB is not tagged by ASID: the per-ASID forms are checked
#     here, not by the reads).  spaces_trace K: boots K.elf under the
#     instruction log (console to K-trace.log, log to trace-spaces.log or
#     trace-spaces-neg.log), sets $st to QEMU's exit status and $traces to
#     common/trace.awk's TRACE lines with the TLBI's register dropped (the
#     operand's value is not in the log, and does not name the form).
spaces_trace() {
    k=$1 qlog=trace-${1#kernel-}.log
    $OBJDUMP -d "$k.elf" >"$k.dis"
    # Every inner-shareable TLBI of the kernel must be in code the filter
    # logs: one the compiler put elsewhere would be missing from the trace
    # (the kernel's own TLBIs, arch.c's and arch-spaces.c's, are local).
    outside=$(awk '/^[0-9a-f]+ <[^>]*>:$/ { fn = $2 } /\ttlbi\t[a-z0-9]*is/ && fn !~ /^<(trace_|lazy_mmu)/ { print fn }' "$k.dis" | sort -u | tr '\n' ' ')
    if [ -n "$outside" ]; then
        echo "aarch64 spaces trace: FAILED ($k.elf has inner-shareable TLBIs outside the logged ranges, in $outside)"
        exit 1
    fi
    st=0
    # shellcheck disable=SC2086
    timeout "$TRACE_TIMEOUT" $QEMU $QEMU_FLAGS -singlestep -d exec,nochain -dfilter "$(ranges_of "$k.elf")" \
        -D "$qlog" -kernel "$k.elf" >"$k-trace.log" 2>&1 || st=$?
    traces=$(awk -v pick='^(dsb|isb|tlbi)' -f ../common/trace.awk "$k.dis" "$qlog" | sed -E 's/, (x[0-9]+|xzr)//g')
}
# policy FN: what arch/aarch64/policy.h issues for trace_FN in the default
# build (inner-shareable forms, threshold 511).  A section's visibility
# point is DSB ISHST, the TLBIs, DSB ISH, the break-before-make makes,
# DSB ISHST, ISB.
policy() {
    bbm_tail='dsb ish; dsb ishst; isb'
    case $1 in
    # One block descriptor, valid -> valid at another block, all spaces:
    # one TLBI VAALE1IS of the block's VA drops the whole 2 MiB entry (a
    # leaf: the last-level form, the walk caches stay); a new output
    # address, so break-before-make.
    block_remap) echo "dsb ishst; tlbi vaale1is; $bbm_tail" ;;
    # Eight valid -> valid pages named by ASID 2: one TLBI VALE1IS (the
    # ASID's last-level form) each, break-before-make.
    space_pages) echo "dsb ishst$(printf '; tlbi vale1is%.0s' 1 2 3 4 5 6 7 8); $bbm_tail" ;;
    # 1024 pages named by ASID 2, past the threshold: one TLBI ASIDE1IS -
    # that ASID's full flush, never VMALLE1IS - break-before-make.
    space_full) echo "dsb ishst; tlbi aside1is; $bbm_tail" ;;
    # LAZY_MMU_SPACE_INACTIVE: the stores and the walker barrier DSB ISHST,
    # no TLBI, no break-before-make, no ISB (the switch's TLBI ASIDE1 in
    # arch_space_load drops the old translations).
    space_inactive) echo 'dsb ishst' ;;
    esac
}
# compare_traces: each trace_* function's TRACE line against policy; the
# names of those that differ in $wrong.  A trace that could not be taken
# (no line, not executed, no return of its own) proves nothing either way.
compare_traces() {
    wrong=""
    for fn in block_remap space_pages space_full space_inactive; do
        want=$(policy $fn)
        got=$(echo "$traces" | sed -n "s/^TRACE trace_$fn: //p")
        case $got in
        '' | '(not executed)' | '(no return'*)
            echo "aarch64 spaces trace: FAILED (trace_$fn: ${got:-no TRACE line}; see $qlog)"
            exit 1
            ;;
        esac
        if [ "$got" = "$want" ]; then
            echo "    spaces-trace| trace_$fn: $got  (as the policy says)"
        else
            echo "    spaces-trace| trace_$fn: $got"
            echo "    spaces-trace|   policy: $want"
            wrong="$wrong $fn"
        fi
    done
}
spaces_trace kernel-spaces
if [ $st -ne 0 ]; then
    echo "aarch64 spaces trace: FAILED (the traced boot exited $st; see kernel-spaces-trace.log)"
    exit 1
fi
compare_traces
if [ -n "$wrong" ]; then
    echo "aarch64 spaces trace: FAILED (the executed DSB/TLBI/ISB differ from the policy for:$wrong)"
    exit 1
fi
echo "aarch64 spaces trace: PASS (one TLBI VAALE1IS per block, TLBI VALE1IS / ASIDE1IS for ASID 2, only DSB ISHST for an inactive space)"

# 11. The same comparison must reject the negative control's trace, which
#     names no space (TLBI VAALE1IS / VMALLE1IS, and invalidations for the
#     inactive space), or it cannot tell the per-ASID forms from the
#     all-spaces ones.  Its traced boot exits 1, like its plain one.
spaces_trace kernel-spaces-neg
if [ $st -ne 1 ]; then
    echo "aarch64 spaces trace on the negative control: WRONG (the traced boot exited $st, not 1; see kernel-spaces-neg-trace.log)"
    exit 1
fi
compare_traces
for fn in space_pages space_full space_inactive; do
    case " $wrong " in
    *" $fn "*) ;;
    *)
        echo "aarch64 spaces trace on the negative control: WRONG (accepted trace_$fn, which names no space)"
        exit 1
        ;;
    esac
done
echo "aarch64 spaces trace on the negative control: rejected as it must be (differs for:$wrong)"

# 12. The SMP kernel: four CPUs, the boot CPU changing window pages, CPUs 1-3
#     reading them; exit 0 and the summary line only if every other CPU saw
#     every step's result and no step cost a remote round (TLBI ...IS).
case "$QEMU_FLAGS" in
*secure=on*)
    # QEMU then leaves PSCI to EL3 firmware, starting every CPU at the
    # entry point; this kernel is not that firmware.
    echo "aarch64 smp kernels: SKIPPED (secure=on: QEMU provides no PSCI)"
    exit 0
    ;;
esac
st=0
# shellcheck disable=SC2086
boot kernel-smp.elf kernel-smp.log $SMP_FLAGS || st=$?
high_window kernel-smp.log
if [ $st -eq 0 ] && grep -qx 'cpus: 4' kernel-smp.log && grep -qx 'PASS smp aarch64: 0 step(s) failed' kernel-smp.log; then
    echo "aarch64 smp kernel: PASS (exit 0, 4 CPUs started by PSCI CPU_ON, every step seen by CPUs 1-3 at $(window_va kernel-smp.log), no remote round)"
else
    grep -E '^(FAIL|PANIC|EXCEPTION|FATAL|cpus|  )' kernel-smp.log | head -20
    echo "aarch64 smp kernel: FAILED (exit $st; see kernel-smp.log)"
    exit 1
fi

# 13. Its negative control (non-shareable TLBIs, no remote round) must fail
#     for that reason: a CPU other than the boot one reads a stale page, reads
#     an unmapped one, or writes a read-only one; the kernel's own exit
#     status 1, every failure line of that kind, no panic, exception or timeout.
st=0
# shellcheck disable=SC2086
boot kernel-smp-nsh.elf kernel-smp-nsh.log $SMP_FLAGS || st=$?
high_window kernel-smp-nsh.log
reasons=$(grep -cE '^  smp .* cpu [1-9].*(stale|should fault|write went through)' kernel-smp-nsh.log)
others=$(grep -E '^  smp ' kernel-smp-nsh.log | grep -cvE ' cpu [1-9].*(stale|should fault|write went through)')
crashes=$(grep -cE '^(PANIC|EXCEPTION|FATAL)' kernel-smp-nsh.log)
grep -E '^  smp ' kernel-smp-nsh.log | head -3 | sed 's/^/    smp-nsh| /'
if [ $st -eq 1 ] && grep -qx 'cpus: 4' kernel-smp-nsh.log && grep -qE '^FAIL smp aarch64: [1-9][0-9]* step\(s\) failed$' kernel-smp-nsh.log &&
    [ "$reasons" -gt 0 ] && [ "$others" -eq 0 ] && [ "$crashes" -eq 0 ]; then
    echo "aarch64 smp negative control: FAILED as it must (exit 1, $reasons step(s) where CPU 1-3 kept a stale translation; no panic, exception or timeout)"
else
    grep -E '^(PANIC|EXCEPTION|FATAL)' kernel-smp-nsh.log
    echo "aarch64 smp negative control: WRONG (exit $st, $reasons stale line(s), $others other failure line(s), $crashes crash line(s); see kernel-smp-nsh.log)"
    exit 1
fi

# 14. The same non-shareable TLBIs with the library's remote round
#     (LAZY_MMU_SHOOTDOWN) as GICv2 SGIs: every other CPU must see every step,
#     and common/smp.c checks that each section cost exactly one round (an
#     eager run one per page), so a round that never reached the library's
#     hook fails too.
st=0
# shellcheck disable=SC2086
boot kernel-smp-ipi.elf kernel-smp-ipi.log $SMP_FLAGS || st=$?
high_window kernel-smp-ipi.log
if [ $st -eq 0 ] && grep -qx 'cpus: 4' kernel-smp-ipi.log && grep -qx 'PASS smp aarch64: 0 step(s) failed' kernel-smp-ipi.log; then
    echo "aarch64 smp kernel with non-shareable TLBIs and an SGI round: PASS (exit 0, every step seen by CPUs 1-3, one remote round per section)"
else
    grep -E '^(FAIL|PANIC|EXCEPTION|FATAL|cpus|  )' kernel-smp-ipi.log | head -20
    echo "aarch64 smp kernel with non-shareable TLBIs and an SGI round: FAILED (exit $st; see kernel-smp-ipi.log)"
    exit 1
fi

# 15. FEAT_TLBIRANGE (LAZY_MMU_AARCH64_TLBIRANGE): runs of pages by TLBI
#     RVAALE1IS, on a CPU that has them (-cpu max, the later -cpu wins): every
#     step seen by CPUs 1-3.  Its control: the same kernel on the cortex-a57
#     (Armv8.0, no range TLBIs) must stop in lazy_mmu_init with the check's
#     message instead of executing an UNDEFINED instruction.
st=0
# shellcheck disable=SC2086
boot kernel-smp-range.elf kernel-smp-range.log $SMP_FLAGS -cpu max || st=$?
high_window kernel-smp-range.log
if [ $st -eq 0 ] && grep -qx 'cpus: 4' kernel-smp-range.log && grep -qx 'PASS smp aarch64: 0 step(s) failed' kernel-smp-range.log; then
    echo "aarch64 smp kernel with range TLBIs (-cpu max): PASS (exit 0, every step seen by CPUs 1-3)"
else
    grep -E '^(FAIL|PANIC|EXCEPTION|FATAL|cpus|  )' kernel-smp-range.log | head -20
    echo "aarch64 smp kernel with range TLBIs (-cpu max): FAILED (exit $st; see kernel-smp-range.log)"
    exit 1
fi
st=0
# shellcheck disable=SC2086
boot kernel-smp-range.elf kernel-smp-range-a57.log $SMP_FLAGS || st=$?
if [ $st -ne 0 ] && grep -q 'LAZY_MMU_AARCH64_TLBIRANGE is set but this CPU has no' kernel-smp-range-a57.log &&
    ! grep -qE '^EXCEPTION' kernel-smp-range-a57.log; then
    echo "aarch64 range-TLBI kernel on a CPU without them: stopped by the init check, as it must (exit $st)"
else
    head -20 kernel-smp-range-a57.log
    echo "aarch64 range-TLBI kernel on a CPU without them: WRONG (exit $st; see kernel-smp-range-a57.log)"
    exit 1
fi
