#!/bin/sh
# check-trace.sh MODE KERNEL - boot KERNEL (kernel-spaces*.elf or
# kernel-global-trace*.elf) once under $QEMU (with $TIMEOUT) with QEMU's
# instruction log on, turn the log into one TRACE line per trace_* function
# (../common/trace.awk), compare each with what arch/x86_64/policy.h
# promises for it, print a one-line verdict and exit 0 when the comparison
# came out as MODE requires:
#   spaces      (kernel-spaces.elf) exit status 1 and every TRACE line the
#               policy's sequence
#   spaces-neg  (kernel-spaces-neg.elf) exit status 3 (its scenarios fail),
#               trace_block_remap and trace_space_inactive rejected - the
#               forms differ there: the library is bypassed for the block,
#               and the unnamed space makes the inactive space's changes
#               INVLPGs - while trace_space_pages and trace_space_full are
#               accepted: unnamed (LAZY_MMU_SPACE_ALL) with no global entry
#               replaced and without LAZY_MMU_X86_GLOBAL_PAGES, the policy's
#               forms are the named PCID's (INVLPG, CR3 reload) again, so the
#               comparison cannot tell them apart and must not pretend to
#   global      (kernel-global-trace.elf: window pages global, CR4.PGE on)
#               exit status 1 and every TRACE line the policy's sequence:
#               8 INVLPGs for 8 pages, and for the full flush the CR4.PGE
#               toggle - two MOVs to CR4 - and no CR3 reload
#   global-neg  (kernel-global-trace-neg.elf: the same, pages not global)
#               exit status 1, trace_global_pages accepted, and
#               trace_global_full rejected for the CR3 reload it ran instead
#               (no global entry replaced: a CR3 reload is all it owes)
# The log has no operand values: whether the first MOV cleared PGE is shown
# by kernel-global.elf's stale reads, whether the second set it again by
# its exit check (arch.c), not here.
# Files: KERNEL.dis (objdump -d of the .elf64, which keeps the x86-64
# code: the .elf is its elf32 copy), trace-<name>.log (QEMU's log, name =
# KERNEL without kernel- and .elf), KERNEL.trace (the TRACE lines and each
# comparison), KERNEL.trace-boot.log (the serial output of the traced boot).
# QEMU logs only the trace_* and lazy_mmu* functions (-dfilter, ranges from
# nm), one instruction per block (-singlestep), each time it runs
# (-d exec,nochain).
mode=$1
elf=$2
elf64=${elf}64
dis=${elf%.elf}.dis
name=${elf%.elf}
name=${name#kernel-}
tlog=trace-$name.log
out=$elf.trace
boot=$elf.trace-boot.log
NM=${NM:-nm}
OBJDUMP=${OBJDUMP:-objdump}

verdict() { echo "x86_64 trace-$mode ($elf): $1 (qemu exit status $st, log $tlog, TRACE lines $out)"; }

case $mode in
spaces | spaces-neg) fns="trace_block_remap trace_space_pages trace_space_full trace_space_inactive" ;;
global | global-neg) fns="trace_global_pages trace_global_full" ;;
*)
    echo "check-trace.sh: unknown mode $mode" >&2; exit 2 ;;
esac

st=-
ranges=$($NM -S "$elf64" |
    awk '$3 ~ /^[tT]$/ && $4 ~ /^(trace_|lazy_mmu)/ { printf "%s0x%s+0x%s", sep, $1, $2; sep = "," }')
if [ -z "$ranges" ] || ! $OBJDUMP -d "$elf64" >"$dis"; then
    verdict "FAILED: no trace_/lazy_mmu symbols or no disassembly of $elf64"; exit 1
fi
rm -f "$tlog"
# shellcheck disable=SC2086 # $QEMU is a command line: split it
$TIMEOUT $QEMU -kernel "$elf" -singlestep -d exec,nochain -dfilter "$ranges" -D "$tlog" \
    >"$boot" 2>&1 </dev/null
st=$?

# What the check is about: invalidations (INVLPG, INVPCID), writes to CR3 and
# CR4 (reloads, PGE toggles), fences.  Register names are the compiler's
# choice: normalized below, not in trace.awk.
pick='^(invlpg|invpcid|mov %[a-z0-9]+,%cr[34]|[lsm]fence)'
awk -v pick="$pick" -f ../common/trace.awk "$dis" "$tlog" |
    sed -E 's/%(r[a-z0-9]+|e[a-z]+)\b/%REG/g' >"$out.lines"

# The library is built without LAZY_MMU_X86_INVPCID, LAZY_MMU_X86_INVLPGB and
# LAZY_MMU_X86_GLOBAL_PAGES; the spaces kernels create no global entry,
# kernel-global-trace.elf's window pages are all global.
invlpg8='invlpg (%REG); invlpg (%REG); invlpg (%REG); invlpg (%REG); invlpg (%REG); invlpg (%REG); invlpg (%REG); invlpg (%REG)'
expected() {
    case $1 in
    # One valid PD entry replaced (2 MiB, set_pte with the block's VA): one
    # page owed, under the threshold (33) -> one INVLPG, which drops the whole
    # 2 MiB translation (lazy_mmu__arch_inval_page).
    trace_block_remap) echo 'invlpg (%REG)' ;;
    # 8 valid entries of the named, loaded PCID replaced, no INVPCID -> an
    # INVLPG per page (arch_inval_page's non-INVPCID branch), 8 <= 33.
    trace_space_pages) echo "$invlpg8" ;;
    # 1024 pages > 33 in the named PCID, no INVPCID -> arch_inval_all's
    # lazy_mmu__x86_flush_nonglobal: one CR3 reload of the loaded PCID; no CR4
    # write (that is flush_all, the global flush).
    trace_space_full) echo 'mov %REG,%cr3' ;;
    # LAZY_MMU_SPACE_INACTIVE is the stores and the walker barrier, which x86
    # does not need (its walker sees the CPU's stores) -> nothing at all.
    trace_space_inactive) echo '(nothing)' ;;
    # 8 valid global entries replaced, 8 <= 33 -> an INVLPG per page, which
    # drops global translations too (SDM vol. 3A, 4.10.4.1).
    trace_global_pages) echo "$invlpg8" ;;
    # 1024 pages > 33, unnamed space, a global entry among the replaced ones
    # (lazy_mmu__describe: SHOOTDOWN_GLOBAL) -> arch_inval_all's
    # lazy_mmu__x86_flush_all with CR4.PGE set: PGE cleared, then set again.
    # A CR3 reload would keep the global translations on hardware (QEMU drops
    # them, so only this comparison can tell).
    trace_global_full) echo 'mov %REG,%cr4; mov %REG,%cr4' ;;
    esac
}

: >"$out"
bad=""
for fn in $fns; do
    got=$(sed -n "s/^TRACE $fn: //p" "$out.lines")
    want=$(expected $fn)
    if [ "$got" = "$want" ]; then
        echo "TRACE $fn: $got   [policy: ok]" >>"$out"
    else
        echo "TRACE $fn: ${got:-(no line)}   [policy: REJECTED, want $want]" >>"$out"
        bad="$bad $fn"
    fi
done
rm -f "$out.lines"
sumup() { sed -E 's/^TRACE ([a-z_]+): (.*)   \[.*/\1: \2/' "$out" | awk -F': ' '{
    n = split($2, a, "; "); k = a[1]; c = n
    if ($2 == "(nothing)" || $2 == "(no line)" || $2 == "(not executed)") { k = $2; c = 0 }
    printf "%s%s %s%s", (NR > 1 ? ", " : ""), $1, (c > 1 ? c " x " : ""), k }'; }

case $mode in
spaces)
    if [ "$st" -eq 1 ] && [ -z "$bad" ]; then
        verdict "PASS: every traced function ran the policy's forms ($(sumup))"; exit 0
    fi ;;
spaces-neg)
    if [ "$st" -eq 3 ] && [ "$bad" = " trace_block_remap trace_space_inactive" ]; then
        verdict "PASS: rejected where the forms differ, accepted where the policy's are the same ($(sumup))"
        exit 0
    fi ;;
global)
    if [ "$st" -eq 1 ] && [ -z "$bad" ]; then
        verdict "PASS: global pages flushed with the CR4.PGE toggle, no CR3 reload ($(sumup))"; exit 0
    fi ;;
global-neg)
    if [ "$st" -eq 1 ] && [ "$bad" = " trace_global_full" ] &&
       grep -q '^TRACE trace_global_full: mov %REG,%cr3   \[policy: REJECTED' "$out"; then
        verdict "PASS: without global pages the full flush was a CR3 reload, and rejected ($(sumup))"
        exit 0
    fi ;;
esac
verdict "FAILED: not what this build must show; rejected:${bad:- none}"
sed 's/^/    /' "$out"
exit 1
