#!/bin/sh
# examples/qemu/riscv64/check.sh - judges one QEMU boot; prints one verdict line.
#
#   check.sh pass LOG THRESHOLD SVINVAL   kernel must PASS, COUNT lines as promised
#   check.sh negative LOG                 must FAIL on a stale read, nothing worse
#   check.sh facts LOG                    facts kernel must PASS; echoes its FACTs
#   check.sh facts-negative LOG           counter checks must FAIL (map included)
#   check.sh smp LOG                      SMP kernel must PASS on 4 harts
#   check.sh smp-negative LOG             must FAIL on a stale read by a hart
#                                         other than the boot one, nothing worse
#   check.sh spaces LOG                   kernel-spaces.elf must PASS
#   check.sh spaces-negative LOG          must FAIL each block/table scenario on
#                                         what it reads and space-inactive on its
#                                         counts, nothing worse
#   check.sh trace LOG DIS QEMULOG        the traced boot of kernel-spaces.elf:
#                                         each trace_* function's SFENCE.VMAs as
#                                         arch/riscv64/policy.h promises
#   check.sh trace-negative LOG DIS QEMULOG  the same comparison must reject
#                                         kernel-spaces-neg.elf's space traces
#   check.sh trace-svinval LOG DIS QEMULOG   kernel-spaces-svinval.elf traced:
#                                         SFENCE.W.INVAL, the SINVAL.VMAs,
#                                         SFENCE.INVAL.IR, in that order
#   All three trace modes also run the guard: every fence executed outside
#   the trace_* calls must be in a function it lists (see "The guard" below).
#   Every mode also wants the window's boot line (arch.c) to name an
#   upper-half address before it gives any OK.
#
# LOG is KERNEL.log; the exit status QEMU gave is in KERNEL.status.  Kernel
# exit statuses: 0 pass, 1 checks failed, 3 library panic, 4 unexpected trap,
# 5 kernel_main returned, 6 SMP bring-up failed (hsm.c); 124 is timeout's
# (a hung kernel).
set -u
mode=$1
log=$2
name=${log%.log}.elf
case $mode in trace*) name="${log%-trace.log}.elf (traced)" ;; esac
status=$(cat "${log%.log}.status" 2>/dev/null || echo missing)

bad() { echo "BAD  riscv64 $name: $* (see $log)"; exit 1; }
# The window's VA, from arch.c's boot line.  Every verdict, a negative
# control's too, is about pages there, and they must be in Sv39's upper half
# (bit 38 set, bits 63..39 its copies: 0xffffffc000000000 and up), where a
# kernel's own mappings live: else the sign-extended VAs a kernel hands the
# library and SBI RFENCE would go untested.
window=$(sed -n 's/^riscv64 window: \(0x[0-9a-f]*\) .*/\1/p' "$log" | head -n 1)
ok() {
    case $window in
    0xffffff[c-f]?????????) ;;
    *) bad "the window is not in the upper half (boot line: ${window:-none})" ;;
    esac
    echo "OK   riscv64 $name: $*"
    exit 0
}

# TRACE lines on stdin, with each .4byte word that encodes an Svinval fence
# (opcode SYSTEM, funct7 0x0b SINVAL.VMA, 0x0c with rs2 0 / 1 SFENCE.W.INVAL
# / SFENCE.INVAL.IR) named, its SINVAL.VMA operands by role as below.
svinval_names() {
    while IFS= read -r line; do
        out=""
        rest=${line#*: }
        while [ -n "$rest" ]; do
            insn=${rest%%; *}
            case $rest in *"; "*) rest=${rest#*; } ;; *) rest="" ;; esac
            case $insn in
            .4byte\ 0x*)
                w=$((${insn#.4byte }))
                rs1=$(((w >> 15) & 31)) rs2=$(((w >> 20) & 31))
                if [ $((w & 0x7fff)) -eq $((0x0073)) ]; then
                    case $((w >> 25)):$rs1:$rs2 in
                    11:*) insn="sinval.vma $([ $rs1 -eq 0 ] && echo zero || echo va),$([ $rs2 -eq 0 ] && echo zero || echo asid)" ;;
                    12:0:0) insn=sfence.w.inval ;;
                    12:0:1) insn=sfence.inval.ir ;;
                    esac
                fi ;;
            esac
            out="$out${out:+; }$insn"
        done
        echo "${line%%: *}: $out"
    done
}

# Why a run that should have got to its verdict did not.
why() {
    case $status in
    124) echo "hung (timeout)" ;;
    3) echo "library panic: $(grep -m1 '^PANIC' "$log")" ;;
    4) echo "unexpected trap: $(grep -m1 '^TRAP' "$log")" ;;
    5) echo "kernel_main returned" ;;
    6) echo "SMP bring-up failed: $(grep -m1 '^SMP' "$log")" ;;
    *) echo "exit status $status" ;;
    esac
}

# What a COUNT line of common/timing.c must say: map, remap or protect of n
# pages, eagerly (one visibility point per page) or in one lazy section (one
# fence per page up to the threshold, else one global fence; Svinval adds one
# SFENCE.W.INVAL and one SFENCE.INVAL.IR around each run of per-page ones).
# All three cost the same: without Svvptc an invalid->valid change (map) is
# fenced like the others.
expected_count() { # OP N MODE THRESHOLD SVINVAL
    op=$1 n=$2 mode=$3 threshold=$4 svinval=$5
    if [ "$mode" = eager ]; then
        b=0
        [ "$svinval" = 1 ] && b=$((2 * n))
        echo "COUNT riscv64 $op n=$n eager: page_invals=$n full_invals=0 barriers=$b bbm=0 publishes=$n"
    elif [ "$n" -le "$threshold" ]; then
        b=0
        [ "$svinval" = 1 ] && b=2
        echo "COUNT riscv64 $op n=$n lazy: page_invals=$n full_invals=0 barriers=$b bbm=0 publishes=1"
    else
        echo "COUNT riscv64 $op n=$n lazy: page_invals=0 full_invals=1 barriers=0 bbm=0 publishes=1"
    fi
}

case $mode in
pass)
    threshold=$3
    svinval=$4
    [ "$status" = 0 ] || bad "did not pass: $(why)"
    grep -qx 'PASS riscv64: 0 scenario(s) failed' "$log" || bad "exit 0 but no PASS line"
    ncount=0
    wrong=0
    for line in $(grep '^COUNT ' "$log" | sed 's/^COUNT riscv64 \([a-z]*\) n=\([0-9]*\) \([a-z]*\):.*/\1:\2:\3/'); do
        op=${line%%:*} rest=${line#*:}
        want=$(expected_count "$op" "${rest%:*}" "${rest#*:}" "$threshold" "$svinval")
        if ! grep -qxF "$want" "$log"; then
            echo "  want: $want"
            wrong=$((wrong + 1))
        fi
        ncount=$((ncount + 1))
    done
    [ "$ncount" = 18 ] || bad "$ncount COUNT lines, expected 18 (map, remap, protect x 3 sizes x eager, lazy)"
    [ "$wrong" = 0 ] || bad "$wrong COUNT line(s) differ from the policy's promise (threshold $threshold, svinval $svinval)"
    ok "$(grep -c '^PASS ' "$log") PASS lines, 0 failed, window $window; $ncount COUNT lines match the policy (threshold $threshold, svinval $svinval)"
    ;;
negative)
    case $status in
    0) bad "passed: the negative control detects nothing" ;;
    1) ;;
    *) bad "failed for the wrong reason: $(why)" ;;
    esac
    # scenarios.c prints the first bad page's reason just before its FAIL line.
    stale=$(grep -B1 '^FAIL ' "$log" | grep -m1 ' stale')
    [ -n "$stale" ] || bad "FAIL lines, but none for a stale read"
    grep -B1 '^FAIL remap ' "$log" | grep -q ' stale' || bad "no FAIL remap line with a stale read"
    ok "failed as built to: $(grep -c '^FAIL [a-z]* n=' "$log") FAIL lines, first reason:$stale (window $window)"
    ;;
facts)
    [ "$status" = 0 ] || bad "did not pass: $(why); $(grep -m1 '^CHECK FAIL' "$log")"
    grep -qx 'PASS riscv64-facts: 0 check(s) failed' "$log" || bad "exit 0 but no PASS line"
    grep '^FACT ' "$log" | sed 's/^/  /'
    ok "$(grep -c '^CHECK PASS' "$log") counter checks passed"
    ;;
facts-negative)
    case $status in
    0) bad "passed: the counter checks detect nothing" ;;
    1) ;;
    *) bad "failed for the wrong reason: $(why)" ;;
    esac
    map=$(grep -m1 '^CHECK FAIL count map ' "$log")
    [ -n "$map" ] || bad "no failed counter check for map (invalid->valid), which QEMU cannot show"
    ok "failed as built to: $(grep -c '^CHECK FAIL count' "$log") counter checks failed, e.g. ${map#CHECK FAIL count }"
    ;;
smp)
    [ "$status" = 0 ] || bad "did not pass: $(why); $(grep -m1 '^  smp ' "$log")"
    grep -qx 'PASS smp riscv64: 0 step(s) failed' "$log" || bad "exit 0 but no PASS line"
    cpus=$(sed -n 's/^cpus: \([0-9]*\)$/\1/p' "$log")
    [ "$cpus" = 4 ] || bad "$cpus harts running, expected 4"
    # OpenSBI's banner names the lottery's winner.
    boot=$(sed -n 's/^Boot HART ID *: *\([0-9]*\).*/\1/p' "$log")
    ok "4 harts (boot hart $boot, the others by SBI HSM), window $window, every step fresh on each; one SBI RFENCE round per section, one per page eagerly"
    ;;
smp-negative)
    case $status in
    0) bad "passed: the negative control detects nothing" ;;
    1) ;;
    *) bad "failed for the wrong reason: $(why)" ;;
    esac
    remote=$(grep -m1 -E '^  smp .* cpu [1-9].*(stale|should fault|write went through)' "$log")
    [ -n "$remote" ] || bad "FAIL, but no stale read on a hart other than the boot one"
    ok "failed as built to: $(grep -c '^  smp ' "$log") bad step(s), first:${remote#  smp}"
    ;;
spaces)
    [ "$status" = 0 ] || bad "did not pass: $(why); $(grep -m1 '^  [a-z-]*: ' "$log")"
    grep -qx 'PASS riscv64 spaces: 0 scenario(s) failed' "$log" || bad "exit 0 but no PASS line"
    asids=$(sed -n 's/^spaces: satp.ASID keeps [0-9a-fx]*: //p' "$log")
    block=$(sed -n 's/^riscv64 block window: \(0x[0-9a-f]*\) .*/\1/p' "$log")
    ok "$(grep -c '^PASS [a-z-]*$' "$log") scenarios passed ($asids), window $window, block window $block"
    ;;
spaces-negative)
    case $status in
    0) bad "passed: the negative control detects nothing" ;;
    1) ;;
    *) bad "failed for the wrong reason: $(why)" ;;
    esac
    ! grep -qE '^(PANIC|TRAP)' "$log" || bad "exit 1, yet a $(grep -m1 -oE '^(PANIC|TRAP)' "$log") line"
    grep -qE '^FAIL riscv64 spaces: [1-9][0-9]* scenario\(s\) failed$' "$log" || bad "exit 1 but no FAIL summary line"
    # A block or table change the TLB kept: spaces.c prints the first bad
    # page's reason ("  NAME: page N REASON got .. want ..") before FAIL NAME.
    for sc in block-remap block-protect split table-unlink; do
        grep -qx "FAIL $sc" "$log" || bad "no FAIL $sc line"
        grep -qE "^  $sc: page [0-9]+ (stale|faulted|should fault|write)" "$log" ||
            bad "FAIL $sc, but not for what a page read or wrote"
    done
    # The inactive space's changes, not named, cost invalidations.
    grep -qx 'FAIL space-inactive' "$log" || bad "no FAIL space-inactive line"
    grep -qE '^  space-inactive: page [0-9]+ counts ' "$log" || bad "FAIL space-inactive, but not on its counts"
    ok "failed as built to: $(grep -c '^FAIL [a-z-]*$' "$log") FAIL lines, e.g. $(grep -m1 '^  block-remap: ' "$log" | sed 's/^ *//; s/ got .*//'), space-inactive:$(grep -m1 '^  space-inactive: ' "$log" | sed 's/^.*page 0//')"
    ;;
trace | trace-negative | trace-svinval)
    dis=$3
    qlog=$4
    case $mode:$status in
    trace:0 | trace-negative:1 | trace-svinval:0) ;;
    *) bad "the traced boot exited $status: $(why)" ;;
    esac
    # objdump's short forms spelled out (SFENCE.VMA with rs2 = x0 prints as
    # "sfence.vma rs1", with both x0 as "sfence.vma") and registers named
    # by role: rs1 a VA, rs2 an ASID, or zero (x0).
    # The Svinval fences are .insn words binutils 2.40 prints as .4byte
    # (the ELF says rv64imac): svinval_names decodes them first.
    roles() {
        svinval_names |
            sed -E -e 's/sfence\.vma(;|$)/sfence.vma zero,zero\1/g' \
                -e 's/sfence\.vma ([a-z0-9]+)(;|$)/sfence.vma \1,zero\2/g' \
                -e 's/sfence\.vma ([a-z0-9]+),([a-z0-9]+)/sfence.vma <\1>,<\2>/g' \
                -e 's/<zero>/zero/g' -e 's/sfence\.vma <[a-z0-9]+>/sfence.vma va/g' \
                -e 's/,<[a-z0-9]+>/,asid/g'
    }
    # common/trace.awk's TRACE lines: what each trace_* function ran from
    # its entry to its own return.
    traces=$(awk -v pick='^(sfence|sinval|fence|\.4byte 0x[0-9a-f]+$)' -f ../common/trace.awk "$dis" "$qlog" |
        roles) || bad "common/trace.awk failed"
    echo "$traces" | sed 's/^/  /'
    # The guard.  The log holds every fence the kernel executed (the
    # Makefile puts each fence instruction of the image in the filter, not
    # only the trace_* and lazy_mmu* functions), so the TRACE lines miss
    # none run inside a trace_* call, even in a helper the filter would not
    # otherwise log.  Every one run outside those calls (common/trace.awk, mode=outside: the
    # function holding it, and its form) must be on this list:
    #   arch_mmu_init     sfence.vma zero,zero  the boot's two: the tables
    #                     ordered before the satp write (MMU still off),
    #                     then the Bare regime's entries dropped
    #   arch_spaces_init  sfence.vma zero,zero  space 1's tables and space
    #                     0's new ASID, once
    #   arch_space_load   sfence.vma zero,asid  a switch that flushes
    #   lazy_mmu*         any fence: the library's out-of-line code run by
    #                     the scenarios that are not traced (judged by what
    #                     their pages read, and by the counters)
    # Any other is rejected.  A fence the kernel runs around the library
    # would flush QEMU's whole TLB (it flushes all on any fence) and so hide
    # from the reads after it a fence the library skipped.  Library code the
    # compiler inlined into an untraced kernel function cannot be told from
    # the kernel's own here (none runs today): list that function, or keep
    # the code out of line.
    outside=$(awk -v pick='^(sfence|sinval|\.4byte 0x[0-9a-f]+$)' -v mode=outside -f ../common/trace.awk "$dis" "$qlog" |
        roles | grep -v '\.4byte' |
        awk '{ if (!($0 in n)) order[++k] = $0; n[$0]++ } END { for (i = 1; i <= k; i++) print order[i] " x" n[order[i]] }')
    echo "$outside" | sed 's/^/  /'
    # arch_mmu_init's fences lie outside every trace_* and lazy_mmu*
    # function: seeing both shows the filter took every fence.
    echo "$outside" | grep -qx 'OUTSIDE arch_mmu_init: sfence.vma zero,zero x2' ||
        bad "the log lacks arch_mmu_init's two SFENCE.VMAs: not every fence was in the -dfilter ranges"
    unlisted=""
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        fn=${line#OUTSIDE } form=${line#*: }
        fn=${fn%%: *} form=${form% x*}
        case $fn:$form in
        'arch_mmu_init:sfence.vma zero,zero' | 'arch_spaces_init:sfence.vma zero,zero') ;;
        'arch_space_load:sfence.vma zero,asid') ;;
        lazy_mmu*:'sfence.vma '* | lazy_mmu*:'sinval.vma '* | lazy_mmu*:sfence.w.inval | lazy_mmu*:sfence.inval.ir) ;;
        *) unlisted="$unlisted; ${line#OUTSIDE }" ;;
        esac
    done <<EOF
$outside
EOF
    [ -z "$unlisted" ] || bad "fences ran outside every trace_* call where the guard lists none:${unlisted#;}"
    guard="all $(($(echo "$outside" | sed 's/.* x//' | paste -s -d+ -))) fences outside them on the guard's list"
    # What arch/riscv64/policy.h issues (threshold 64; Svinval below):
    pages8=$(printf 'sfence.vma va,asid; %.0s' 1 2 3 4 5 6 7 8)
    # A megapage's entry is a leaf: one SFENCE.VMA va, x0 for all 512 pages
    # (LAZY_MMU_SPACE_ALL, per-address form).
    want_block_remap='sfence.vma va,zero'
    # Eight valid->valid pages named by an ASID: one SFENCE.VMA va, asid each.
    want_space_pages=${pages8%; }
    # 1024 pages > the threshold, named by an ASID: one SFENCE.VMA x0, asid -
    # that space's full flush, never x0, x0.
    want_space_full='sfence.vma zero,asid'
    # LAZY_MMU_SPACE_INACTIVE: the stores alone - riscv64 has no walker
    # barrier (LAZY_MMU__F_WALK_BARRIER 0); the switch's SFENCE.VMA x0, asid
    # orders them (arch.c, arch_space_load).
    want_space_inactive='(nothing)'
    if [ "$mode" = trace-svinval ]; then
        # With LAZY_MMU_RISCV64_SVINVAL: the same pages, each a SINVAL.VMA,
        # fenced by one SFENCE.W.INVAL before (the stores first) and one
        # SFENCE.INVAL.IR after (later walks see their effect); a full flush
        # stays one SFENCE.VMA x0, asid, which orders everything itself.
        want_block_remap='sfence.w.inval; sinval.vma va,zero; sfence.inval.ir'
        pages8=$(printf 'sinval.vma va,asid; %.0s' 1 2 3 4 5 6 7 8)
        want_space_pages="sfence.w.inval; ${pages8%; }; sfence.inval.ir"
    fi
    wrong=""
    for fn in block_remap space_pages space_full space_inactive; do
        eval "want=\$want_$fn"
        got=$(echo "$traces" | sed -n "s/^TRACE trace_$fn: //p")
        # A trace that could not be taken proves nothing either way.
        case $got in
        '' | '(not executed)' | '(no return'*) bad "trace_$fn: ${got:-no TRACE line}" ;;
        esac
        if [ "$got" != "$want" ]; then
            [ "$mode" = trace ] && echo "  want trace_$fn: $want"
            wrong="$wrong $fn"
        fi
    done
    case $mode in
    trace)
        [ -z "$wrong" ] || bad "trace differs from the policy for:$wrong"
        ok "the trace_* functions executed exactly the SFENCE.VMA forms policy.h promises; $guard" ;;
    trace-svinval)
        [ -z "$wrong" ] || bad "trace differs from the policy for:$wrong"
        ok "the trace_* functions executed SFENCE.W.INVAL, SINVAL.VMA va(,asid)..., SFENCE.INVAL.IR as policy.h promises; $guard" ;;
    esac
    for fn in space_pages space_full space_inactive; do
        case " $wrong " in
        *" $fn "*) ;;
        *) bad "the trace comparison accepted trace_$fn, which names no space" ;;
        esac
    done
    ok "rejected by the trace comparison (differs for:$wrong); $guard"
    ;;
*)
    echo "usage: $0 pass|negative|facts|facts-negative|smp|smp-negative|spaces|spaces-negative LOG [THRESHOLD SVINVAL]" >&2
    echo "       $0 trace|trace-negative|trace-svinval LOG DIS QEMULOG" >&2
    exit 2
    ;;
esac
