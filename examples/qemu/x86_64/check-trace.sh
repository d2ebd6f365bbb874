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
#               replaced and without LAZY_MMU_X86_64_GLOBAL_PAGES, the policy's
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
# The guard, in every mode: each TLB-invalidating instruction of the image
# (INVLPG, INVPCID, TLBSYNC, MOVs to CR3 and CR4, and the MOV to CR0 and
# WRPKRU, on which QEMU drops its whole TLB) is in the log filter, so the
# log shows every one executed, wherever the compiler put it.  One run
# outside every trace_* call (common/trace.awk, mode=outside) must come from the boot's own
# page-table setup or from the library's out-of-line code (the list below,
# at "The guard"), else the run is rejected whatever the TRACE lines say:
# a flush the kernel runs around the library empties QEMU's TLB and hides,
# from the reads after it, one the library skipped.  The log must also
# show start32's and arch_mmu_init's CR3 loads - outside every trace_* and
# lazy_mmu* function, so seeing them shows the filter took the image's TLB
# instructions, not only those functions.
# Files: KERNEL.dis (objdump -d of the .elf64, which keeps the x86-64
# code: the .elf is its elf32 copy; start32, entry.S's 32-bit code up to
# start64, disassembled as i386), trace-<name>.log (QEMU's log, name =
# KERNEL without kernel- and .elf), KERNEL.trace (the TRACE lines and each
# comparison, then the guard's OUTSIDE lines), KERNEL.trace-boot.log (the
# serial output of the traced boot).
# QEMU logs only the trace_* and lazy_mmu* functions and the first byte of
# each TLB-invalidating instruction (-dfilter: ranges from nm and from
# KERNEL.dis; the filter looks at the address a block starts at), one
# instruction per block (-singlestep), each time it runs (-d exec,nochain).
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

# What the trace and the guard pick: every instruction that drops
# translations - INVLPG (INVLPGA, INVLPGB: the same prefix), INVPCID,
# TLBSYNC, MOVs to CR3 and CR4 - and two more on which QEMU drops its whole
# TLB: a MOV to CR0 that changes PG, WP or PE, and WRPKRU (`make facts`).
# Register names are the compiler's choice: normalized by $regs, not in
# the awk scripts.
tlb='invlpg|invpcid|tlbsync|mov %[a-z0-9]+,%cr[034]|wrpkru'
regs='s/%(r[a-z0-9]+|e[a-z]+)\b/%REG/g'

st=-
# objdump decodes all of .text as x86-64; entry.S's 32-bit code (start32 up
# to start64, .code32) decodes differently there (its LJMP is "(bad)"), and
# an instruction misread would have a wrong address in the filter, so that
# stretch is disassembled as i386 and spliced in.
sym() { $NM "$elf64" | awk -v s="$1" '$3 == s { print "0x" $1; exit }'; }
s32=$(sym start32)
s64=$(sym start64)
if [ -z "$s32" ] || [ -z "$s64" ] ||
   ! { $OBJDUMP -d --stop-address="$s32" "$elf64" &&
       $OBJDUMP -d -M i386 --start-address="$s32" --stop-address="$s64" "$elf64" &&
       $OBJDUMP -d --start-address="$s64" "$elf64"; } >"$dis"; then
    verdict "FAILED: no start32/start64 symbols or no disassembly of $elf64"; exit 1
fi
# The filter: the trace_* and lazy_mmu* functions whole (nm -S), and the
# first byte of every TLB-invalidating instruction in the image.
ranges=$($NM -S "$elf64" |
    awk '$3 ~ /^[tT]$/ && $4 ~ /^(trace_|lazy_mmu)/ { printf "%s0x%s+0x%s", sep, $1, $2; sep = "," }')
flushes=$(awk -v pick="^($tlb)" '/^ *[0-9a-f]+:\t/ {
        n = split($0, f, "\t"); if (n < 3) next
        insn = f[3]; gsub(/  +/, " ", insn)
        if (insn ~ pick) { a = f[1]; sub(/:$/, "", a); gsub(/ /, "", a); printf ",0x%s+0x1", a }
    }' "$dis")
if [ -z "$ranges" ] || [ -z "$flushes" ]; then
    verdict "FAILED: no trace_/lazy_mmu symbols or no TLB-invalidating instruction in $dis"; exit 1
fi
ranges=$ranges$flushes
rm -f "$tlog"
# shellcheck disable=SC2086 # $QEMU is a command line: split it
$TIMEOUT $QEMU -kernel "$elf" -singlestep -d exec,nochain -dfilter "$ranges" -D "$tlog" \
    >"$boot" 2>&1 </dev/null
st=$?

# The TRACE lines: the TLB-invalidating instructions and the fences.
awk -v pick="^($tlb|[lsm]fence)" -f ../common/trace.awk "$dis" "$tlog" |
    sed -E "$regs" >"$out.lines"

# The library is built without LAZY_MMU_X86_64_INVPCID, LAZY_MMU_X86_64_INVLPGB and
# LAZY_MMU_X86_64_GLOBAL_PAGES; the spaces kernels create no global entry,
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
    # lazy_mmu__x86_64_flush_nonglobal: one CR3 reload of the loaded PCID; no CR4
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
    # lazy_mmu__x86_64_flush_all with CR4.PGE set: PGE cleared, then set again.
    # A CR3 reload would keep the global translations on hardware (QEMU drops
    # them, so only this comparison can tell).
    trace_global_full) echo 'mov %REG,%cr4; mov %REG,%cr4' ;;
    esac
}

: >"$out"
bad=""
for fn in $fns; do
    got=$(sed -n "s/^TRACE $fn: //p" "$out.lines")
    want=$(expected "$fn")
    if [ "$got" = "$want" ]; then
        echo "TRACE $fn: $got   [policy: ok]" >>"$out"
    else
        echo "TRACE $fn: ${got:-(no line)}   [policy: REJECTED, want $want]" >>"$out"
        bad="$bad $fn"
    fi
done
rm -f "$out.lines"

# The guard.  Every TLB-invalidating instruction run outside the trace_*
# calls, as "OUTSIDE <function>: <form> x<times>", must be on this list:
#   start32           mov %REG,%cr4, %cr3, %cr0  entry.S, paging still
#                     off: PAE on, the boot tables' root, then PG on
#   arch_mmu_init     mov %REG,%cr0  WP on
#                     mov %REG,%cr3  the kernel's own tables
#                     mov %REG,%cr4  X86_GLOBAL_WINDOW builds: PGE on
#   arch_spaces_init  mov %REG,%cr4, %cr3  PCIDE on and space 0 reloaded
#                     with PCID 1 (only where CPUID has PCID: not under
#                     QEMU 7.2's TCG)
#   arch_space_load   mov %REG,%cr3  common/spaces.c's switches between the
#                     scenarios (flushing ones too: they are what the
#                     space scenarios test)
#   lazy_mmu*         any: the library's out-of-line code run by untraced
#                     callers (judged by what their pages read, and by the
#                     counters)
# Any other is rejected: a flush the kernel runs around the library would
# hide a missing one from the reads after it.  Library code the compiler
# inlined into an untraced kernel function cannot be told from the kernel's
# own here (in these images all of it is out of line): list that function,
# or keep the code out of line.
outside=$(awk -v pick="^($tlb)" -v mode=outside -f ../common/trace.awk "$dis" "$tlog" | sed -E "$regs" |
    awk '{ if (!($0 in n)) order[++k] = $0; n[$0]++ } END { for (i = 1; i <= k; i++) print order[i] " x" n[order[i]] }')
gbad=""
gn=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    fn=${line#OUTSIDE } form=${line#*: }
    fn=${fn%%: *} form=${form% x*}
    gn=$((gn + ${line##* x}))
    case $fn:$form in
    start32:'mov %REG,%cr'[034] | arch_mmu_init:'mov %REG,%cr'[034]) ok=1 ;;
    arch_spaces_init:'mov %REG,%cr'[34] | arch_space_load:'mov %REG,%cr3') ok=1 ;;
    lazy_mmu*:*) ok=1 ;;
    *) ok=0 gbad="$gbad; ${line#OUTSIDE }" ;;
    esac
    if [ $ok -eq 1 ]; then
        echo "$line   [guard: ok]" >>"$out"
    else
        echo "$line   [guard: REJECTED, not on the list]" >>"$out"
    fi
done <<EOF
$outside
EOF
# The boot's CR3 loads lie outside every trace_* and lazy_mmu* function:
# seeing both shows the filter took the image's TLB instructions, the
# 32-bit entry's included.
for boot_load in start32 arch_mmu_init; do
    echo "$outside" | grep -qx "OUTSIDE $boot_load: mov %REG,%cr3 x1" ||
        gbad="$gbad; no CR3 load of $boot_load in the log: the filter missed TLB instructions"
done
gbad=${gbad#; }
guard="guard: all $gn TLB-invalidating instructions outside the trace_* calls on its list"

sumup() { sed -n -E 's/^TRACE ([a-z_]+): (.*)   \[.*/\1: \2/p' "$out" | awk -F': ' '{
    n = split($2, a, "; "); k = a[1]; c = n
    if ($2 == "(nothing)" || $2 == "(no line)" || $2 == "(not executed)") { k = $2; c = 0 }
    printf "%s%s %s%s", (NR > 1 ? ", " : ""), $1, (c > 1 ? c " x " : ""), k }'; }

# What MODE requires of the exit status and the TRACE lines; the guard
# holds in every mode.
good=""
case $mode in
spaces)
    [ "$st" -eq 1 ] && [ -z "$bad" ] && good="every traced function ran the policy's forms" ;;
spaces-neg)
    [ "$st" -eq 3 ] && [ "$bad" = " trace_block_remap trace_space_inactive" ] &&
        good="rejected where the forms differ, accepted where the policy's are the same" ;;
global)
    [ "$st" -eq 1 ] && [ -z "$bad" ] &&
        good="global pages flushed with the CR4.PGE toggle, no CR3 reload" ;;
global-neg)
    [ "$st" -eq 1 ] && [ "$bad" = " trace_global_full" ] &&
        grep -q '^TRACE trace_global_full: mov %REG,%cr3   \[policy: REJECTED' "$out" &&
        good="without global pages the full flush was a CR3 reload, and rejected" ;;
esac
if [ -n "$good" ] && [ -z "$gbad" ]; then
    verdict "PASS: $good ($(sumup)); $guard"; exit 0
fi
why=""
[ -n "$good" ] || why="not what this build must show; rejected:${bad:- none}"
[ -z "$gbad" ] || why="${why:+$why; }the guard rejected the run: $gbad"
verdict "FAILED: $why"
sed 's/^/    /' "$out"
exit 1
