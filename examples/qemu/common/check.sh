#!/bin/sh
# common/check.sh MODE KERNEL [QEMU FLAGS...] - the one judge of every QEMU
# kernel: boots KERNEL (an .elf of the current directory) under $QEMU with
# the flags given, prints one verdict line
#     <arch> <mode> (<kernel>): PASS|FAILED|SKIPPED: <what> (qemu exit status N, log L)
# and exits 0 when the boot showed what MODE requires.  Run from the
# architecture's directory by its `make test`, with QEMU (the command and
# the flags every boot has), TIMEOUT and TRACE_TIMEOUT (seconds), NM and
# OBJDUMP in the environment.  What differs per architecture - how the
# kernel's exit value reaches QEMU's status, the window line, crash lines,
# the COUNT promise, the instructions a trace picks and what each trace_*
# function must show, the guard's list, kernels a QEMU cannot run - is in
# ./check.conf, which this script sources; the logic is here, once.
#
# Modes that boot (log KERNEL-without-.elf.log, the traced and the stop
# boots <name>-trace.log / <name>-stop.log):
#   pass        kernel exit 0, "PASS <arch>: 0 scenario(s) failed", and the
#               lines check.conf's musts lists for this kernel (x86_64's
#               PKRU and CR4.PGE kernels)
#   neg         exit 1, FAIL scenario lines, a stale read before a FAIL (the
#               remap scenario's among them): the flush was dropped, and
#               it showed as what it is, not as a panic, trap or timeout
#   smp         exit 0, "cpus: 4" and "PASS smp <arch>: 0 step(s) failed"
#   smp-neg     exit 1, cpus: 4, "FAIL smp ...", and every failed step a CPU
#               other than the boot one reading or writing through a stale
#               translation; nothing else failed, nothing crashed
#   spaces      exit 0, "PASS <arch> spaces: 0 scenario(s) failed", musts
#   spaces-neg  exit 1: block-remap, block-protect, split and table-unlink
#               FAIL on what a page read or wrote, space-inactive on its
#               counts, and what the bypass leaves to the library (block-map,
#               space-pages, space-full) still PASS; nothing crashed
#   facts       exit 0, "PASS <arch> facts: 0 check(s) failed" and no
#               "CHECK FAIL" line (common/facts.c prints every CHECK line as
#               "CHECK PASS|FAIL <what>...") and the lines check.conf's
#               musts lists (x86_64: the remap counts either side of the
#               threshold); its FACT lines are echoed, QEMU's observations
#   facts-neg   exit 1, "FAIL <arch> facts: N check(s) failed" and a line
#               matching check.conf's facts_neg (a count check that fails;
#               on aarch64 and riscv64 one where QEMU shows nothing)
#   stop        the kernel must stop as check.conf's stop_* says (exit value
#               and line): a feature the CPU lacks, a protection it must hit
#   trace       KERNEL booted under QEMU's instruction log: each trace_*
#               function check.conf lists executed what the policy promises
#               (common/trace.awk), and the guard holds
#   trace-neg   the same comparison must reject exactly check.conf's list
#               of functions (and show the forms it lists), the guard holds
# Modes that judge an earlier boot's files, the checks' own controls:
#   counts      KERNEL's log: its 18 COUNT lines as the policy promises
#               (common/counts.awk, check.conf's table and threshold)
#   counts-neg  the same checker must reject KERNEL's COUNT lines
#   trace-cut   KERNEL's traced boot again, the instructions check.conf's
#               trace_cut names removed from the log: the comparison must
#               reject it (a barrier QEMU cannot show missing)
# Every boot's log must name an upper-half window (check.conf's window_*):
# the scenarios must hand the library high, sign-extended addresses.
set -u
mode=$1
elf=$2
shift 2
name=${elf%.elf}
log=$name.log
st=-
case $mode in
trace | trace-neg | trace-cut) log=$name-trace.log ;;
stop) log=$name-stop.log ;;
esac

verdict() { echo "$ARCH $mode ($elf): $1 (qemu exit status $st, log $log)"; }
good() {
    if [ "$mode" != counts ] && [ "$mode" != counts-neg ] && [ "$mode" != trace-cut ]; then
        window=$(sed -n "$window_sed" "$log" | head -n 1)
        # shellcheck disable=SC2254 # a pattern from check.conf
        case $window in
        $window_high) ;;
        *) bad "no upper-half window in the log (window line: ${window:-none})" ;;
        esac
    fi
    verdict "PASS: $1"
    exit 0
}
bad() {
    verdict "FAILED: $1"
    # What went wrong first, else how the log ends (the modes that judge
    # an earlier boot's files have said what).
    if [ -f "$log" ] && [ "$mode" != counts ] && [ "$mode" != counts-neg ]; then
        { grep -E "^(FAIL|CHECK FAIL|  [a-z])|${crash:-^PANIC}" "$log" || tail -n 5 "$log"; } | head -n 12 | sed 's/^/    /'
    fi
    exit 1
}
has() { grep -Eq "$1" "$log"; }
hasx() { grep -qxF "$1" "$log"; }
count() { grep -Ec "$1" "$log"; }
exits() { [ "$st" = "$(qemu_status "$1")" ]; }
nocrash() { ! has "$crash" || bad "a crash line: $(grep -m1 -E "$crash" "$log")"; }
# Every line of check.conf's musts for this kernel, quoted: "; "-joined.
musts_hold() {
    quoted=""
    m=$(musts)
    [ -n "$m" ] || return 0
    while IFS= read -r re; do
        has "$re" || bad "no line matching /$re/"
        quoted="$quoted; $(grep -m1 -E "$re" "$log")"
    done <<EOF
$m
EOF
}

# rep FORM N: "FORM; FORM; ..." (N times), for check.conf's sequences.
rep() { r=1 s=$1; while [ $r -lt "$2" ]; do s="$s; $1" r=$((r + 1)); done; echo "$s"; }

. ./check.conf

boot() { # [extra QEMU flags...]
    # shellcheck disable=SC2086 # $QEMU is a command line
    timeout "$TIMEOUT" $QEMU "$@" -kernel "$elf" >"$log" 2>&1 </dev/null
    st=$?
    echo "$st" >"${log%.log}.status"
}

# The judgements of one boot ($log, QEMU's status $st); each ends in good
# or bad.
judge_pass() {
    exits 0 || bad "not exit 0"
    hasx "PASS $ARCH: 0 scenario(s) failed" || bad "no PASS line"
    musts_hold
    good "every scenario passed ($(count '^PASS [a-z]+ n=') runs)$quoted$told"
}
judge_neg() {
    exits 1 || bad "not the kernel's exit 1 (scenarios failed)"
    nocrash
    fails=$(count '^FAIL [a-z]+ n=[0-9]+$')
    [ "$fails" -gt 0 ] || bad "no FAIL scenario line"
    # scenarios.c prints the first bad page's reason just before FAIL.
    stale=$(grep -B1 '^FAIL ' "$log" | grep -m1 -E '^  [a-z]+ n=[0-9]+: page [0-9]+ stale')
    [ -n "$stale" ] || bad "FAIL lines, but none for a stale read"
    grep -B1 '^FAIL remap ' "$log" | grep -q ' stale' || bad "no FAIL remap line with a stale read"
    good "the negative control failed as built to: $fails FAIL scenario lines, first:${stale#  }$told"
}
judge_smp() {
    exits 0 || bad "not exit 0"
    hasx 'cpus: 4' || bad "not 4 CPUs running"
    hasx "PASS smp $ARCH: 0 step(s) failed" || bad "no PASS line"
    good "4 CPUs, every step seen right on every one$told"
}
judge_smp_neg() {
    exits 1 || bad "not the kernel's exit 1 (steps failed)"
    nocrash
    hasx 'cpus: 4' || bad "not 4 CPUs running"
    has "^FAIL smp $ARCH: [1-9][0-9]* step\\(s\\) failed$" || bad "no FAIL smp line"
    remote=' cpu [1-9].*(stale|should fault|write went through)'
    n=$(grep -E '^  smp ' "$log" | grep -cE "$remote")
    other=$(grep -E '^  smp ' "$log" | grep -cvE "$remote")
    [ "$n" -gt 0 ] && [ "$other" -eq 0 ] ||
        bad "$n stale step(s) on CPUs other than the boot one, $other other failure(s)"
    good "the negative control failed as built to: $n step(s) where another CPU kept a stale translation, first:$(grep -m1 -E '^  smp ' "$log" | sed 's/^  smp//')$told"
}
judge_spaces() {
    exits 0 || bad "not exit 0"
    hasx "PASS $ARCH spaces: 0 scenario(s) failed" || bad "no PASS line"
    musts_hold
    good "$(count '^PASS [a-z-]+$') blocks/tables/spaces scenarios passed$quoted$told"
}
judge_spaces_neg() {
    exits 1 || bad "not the kernel's exit 1 (scenarios failed)"
    nocrash
    has "^FAIL $ARCH spaces: [1-9][0-9]* scenario\\(s\\) failed$" || bad "no FAIL summary line"
    # spaces.c prints the first bad page's reason before FAIL NAME.
    for sc in block-remap block-protect split table-unlink; do
        hasx "FAIL $sc" || bad "no FAIL $sc line"
        has "^  $sc: page [0-9]+ (stale|faulted|should fault|write (faulted|went through)) " ||
            bad "FAIL $sc, but not for what a page read or wrote"
    done
    # The inactive space's changes, not named, cost invalidations.
    hasx 'FAIL space-inactive' || bad "no FAIL space-inactive line"
    has '^  space-inactive: page [0-9]+ counts ' || bad "FAIL space-inactive, but not on its counts"
    for sc in block-map space-pages space-full; do
        hasx "PASS $sc" || bad "$sc failed: the bypass leaves it to the library"
    done
    good "the negative control failed as built to ($(grep -E '^FAIL [a-z-]+$' "$log" | sed 's/^FAIL //' | tr '\n' ' ' | sed 's/ $//'))$told"
}
judge_facts() {
    exits 0 || bad "not exit 0"
    hasx "PASS $ARCH facts: 0 check(s) failed" || bad "no PASS line"
    ! has '^CHECK FAIL ' || bad "a failed check: $(grep -m1 '^CHECK FAIL ' "$log")"
    musts_hold
    good "$(count '^CHECK PASS ') counter/memory checks matched the policy$quoted$told"
}
judge_facts_neg() {
    exits 1 || bad "not the kernel's exit 1 (checks failed)"
    nocrash
    has "^FAIL $ARCH facts: [1-9][0-9]* check\\(s\\) failed$" || bad "no FAIL line"
    line=$(grep -m1 -E "$facts_neg" "$log")
    [ -n "$line" ] || bad "no line matching /$facts_neg/"
    good "the counter checks failed as built to, e.g. $line$told"
}
judge_stop() {
    exits "$stop_exit" || bad "not the kernel's exit $stop_exit"
    has "$stop_line" || bad "no line matching /$stop_line/"
    [ -z "$stop_forbid" ] || ! has "$stop_forbid" || bad "a line matching /$stop_forbid/"
    good "stopped as it must: $(grep -m1 -E "$stop_line" "$log")"
}

# The boot judgements' own control, run by each negative mode: the
# positive kernel's boot (kernel-neg -> kernel, kernel-smp-* -> kernel-smp,
# <x>-neg -> <x>), where it passes its own judgement, must be rejected by
# this mode's, and this boot by the positive mode's; else a judgement that
# accepts anything would pass both.
told=""
control() { # positive-mode
    pos=${name%-neg}
    [ "$mode" != smp-neg ] || pos=kernel-smp
    [ -f "$pos.log" ] && [ -f "$pos.status" ] || bad "no $pos.log: $pos's boot runs first"
    # A positive boot that fails is its own verdict's failure; this one's
    # stays about this boot.
    if ! (log=$pos.log st=$(cat "$pos.status") name=$pos && "judge_$1") >/dev/null 2>&1; then
        told="; not told from $pos.log, which fails its own $1 check"
        return
    fi
    if (log=$pos.log st=$(cat "$pos.status") name=$pos && "judge_$(echo "$mode" | tr - _)") >/dev/null 2>&1; then
        bad "the $mode judgement accepts $pos.log, which is not a negative control's"
    fi
    if ("judge_$1") >/dev/null 2>&1; then
        bad "the $1 judgement accepts this boot too: the two do not tell it from $pos.log"
    fi
    told="; told from $pos.log by both judgements"
}

reason=$(skip_reason "$@")
if [ -n "$reason" ]; then
    verdict "SKIPPED: $reason"
    exit 0
fi

case $mode in
pass | smp | spaces | facts | stop)
    boot "$@"
    reason=$(skipped_after_boot)
    [ -z "$reason" ] || { verdict "SKIPPED: $reason"; exit 0; }
    [ "$mode" != facts ] || grep -E '^(FACT|CHECK FAIL) ' "$log" | sed 's/^/    /'
    "judge_$mode"
    ;;
neg | smp-neg | spaces-neg | facts-neg)
    boot "$@"
    control "$(echo "${mode%neg}" | sed 's/-$//; s/^$/pass/')"
    "judge_$(echo "$mode" | tr - _)"
    ;;
counts | counts-neg)
    [ -f "$log" ] || bad "no $log: its boot runs first"
    result=$(awk -v arch="$ARCH" -v threshold="$count_threshold" -v table="$(count_table)" \
        -f ../common/counts.awk "$log")
    ok=$?
    # shellcheck disable=SC2046 # "seen bad fields": three words
    set -- $(echo "$result" | tail -n 1)
    what="$1 COUNT lines, $2 differ from the policy ($3 fields; threshold $count_threshold, $(count_table))"
    if [ "$mode" = counts ]; then
        [ $ok -eq 0 ] || { echo "$result" | sed '$d'; bad "$what"; }
        good "$what"
    fi
    # All 18 there, and wrong: rejected for their values, not for a
    # missing line.
    [ $ok -ne 0 ] && [ "$1" -eq 18 ] && [ "$2" -gt 0 ] ||
        bad "accepted the COUNT lines of a kernel that writes around the library, or found too few: $what"
    good "rejected as they must be: $what"
    ;;
trace | trace-neg | trace-cut)
    dis=$name.dis
    qlog=trace-${name#kernel-}.log
    out=$name.trace
    fns="" rejects="" tailcalls=0
    trace_exit=0
    [ "$mode" = trace-neg ] && trace_exit=1
    trace_case
    [ -n "$fns" ] || bad "check.conf lists no trace_* function for $name"
    case $mode:$rejects in
    trace:?*) bad "check.conf lists functions $name must get rejected: a trace-neg kernel" ;;
    trace-neg:) bad "check.conf lists none $name must get rejected: a trace kernel" ;;
    esac
    if [ "$mode" = trace-cut ]; then
        # The traced boot's log without the instructions trace_cut names.
        [ -f "$dis" ] && [ -f "$qlog" ] || bad "no $dis or $qlog: the trace mode runs first"
        cut=trace-${name#kernel-}-cut.log
        awk -v pick="$trace_cut" -v list=cut -f ../common/dis.awk -f ../common/insns.awk "$dis" "$qlog" >"$cut"
        qlog=$cut
    else
        image=$(trace_image)
        disassemble "$image" >"$dis" || bad "no disassembly of $image"
        if [ -n "$static_pick" ]; then
            # Every such instruction must be in code the filter logs: one the
            # compiler put elsewhere would be missing from the trace.
            where=$(awk -v pick="$static_pick" -v list=holders -f ../common/dis.awk -f ../common/insns.awk "$dis" |
                grep -Ev '^(trace_|lazy_mmu)' | sort -u | tr '\n' ' ')
            [ -z "$where" ] || bad "$image has instructions /$static_pick/ outside the logged ranges, in $where"
        fi
        # The filter: the trace_* and lazy_mmu* functions whole, and the
        # first byte of every instruction the guard watches, wherever the
        # compiler put it (QEMU's filter looks at the address a block starts
        # at; -singlestep makes each instruction its own block).
        ranges=$($NM -S "$image" |
            awk '$3 ~ /^[tT]$/ && $4 ~ /^(trace_|lazy_mmu)/ { printf "%s0x%s+0x%s", sep, $1, $2; sep = "," }')
        [ -n "$ranges" ] || bad "no trace_/lazy_mmu symbols in $image"
        if [ -n "$guard_pick" ]; then
            watched=$(awk -v pick="$guard_pick" -v list=ranges -f ../common/dis.awk -f ../common/insns.awk "$dis")
            [ -n "$watched" ] || bad "no instruction /$guard_pick/ in $dis"
            ranges=$ranges$watched
        fi
        rm -f "$qlog"
        # shellcheck disable=SC2086 # $QEMU is a command line
        timeout "$TRACE_TIMEOUT" $QEMU "$@" -singlestep -d exec,nochain -dfilter "$ranges" -D "$qlog" \
            -kernel "$elf" >"$log" 2>&1 </dev/null
        st=$?
        exits "$trace_exit" || bad "the traced boot did not end with the kernel's exit $trace_exit"
    fi

    # The TRACE lines against the policy (check.conf's want), into $out.
    lines=$(awk -v pick="$trace_pick" -v tailcalls="$tailcalls" -f ../common/dis.awk -f ../common/trace.awk "$dis" "$qlog" |
        normalize)
    : >"$out"
    rejected=""
    for fn in $fns; do
        got=$(echo "$lines" | sed -n "s/^TRACE $fn: //p")
        # A trace that could not be taken proves nothing either way.
        case $got in
        '' | '(not executed)' | '(no return'*) bad "$fn: ${got:-no TRACE line} (see $qlog)" ;;
        esac
        want=$(want "$fn")
        if [ "$got" = "$want" ]; then
            echo "TRACE $fn: $got   [policy: ok]" >>"$out"
        else
            echo "TRACE $fn: $got   [policy: REJECTED, want $want]" >>"$out"
            rejected="$rejected $fn"
            # A negative control must differ the way it was built to.
            shown=$(shows "$fn")
            [ "$mode" != trace-neg ] || [ -z "$shown" ] || [ "$got" = "$shown" ] ||
                bad "$fn: $got, not the negative control's $shown"
        fi
    done
    case $mode in
    trace) [ -z "$rejected" ] || { sed 's/^/    /' "$out"; bad "differs from the policy for:$rejected"; } ;;
    trace-neg)
        [ "$rejected" = " $rejects" ] ||
            { sed 's/^/    /' "$out"; bad "rejected:${rejected:- none}, the negative control must be for: $rejects"; } ;;
    trace-cut)
        [ -n "$rejected" ] || { sed 's/^/    /' "$out"; bad "accepted a trace without /$trace_cut/"; }
        good "rejected as it must be without /$trace_cut/ (differs for:$rejected)" ;;
    esac

    # The guard: every instruction it watches that ran outside the trace_*
    # calls (common/trace.awk, mode=outside), as "OUTSIDE <function>: <form>
    # x<times>", must be on check.conf's list (guard_ok): a flush the kernel
    # runs around the library empties QEMU's TLB and hides, from the reads
    # after it, one the library skipped.  Library code the compiler inlined
    # into an untraced kernel function cannot be told from the kernel's own
    # here: list that function, or keep the code out of line.
    guard=""
    if [ -n "$guard_pick" ]; then
        outside=$(awk -v pick="$guard_pick" -v mode=outside -f ../common/dis.awk -f ../common/trace.awk "$dis" "$qlog" | normalize |
            awk '{ if (!($0 in n)) order[++k] = $0; n[$0]++ } END { for (i = 1; i <= k; i++) print order[i] " x" n[order[i]] }')
        gbad="" gn=0
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            fn=${line#OUTSIDE } form=${line#*: }
            fn=${fn%%: *} form=${form% x*}
            gn=$((gn + ${line##* x}))
            if guard_ok "$fn" "$form"; then
                echo "$line   [guard: ok]" >>"$out"
            else
                echo "$line   [guard: REJECTED, not on the list]" >>"$out"
                gbad="$gbad; ${line#OUTSIDE }"
            fi
        done <<EOF
$outside
EOF
        # Boot code outside every trace_* and lazy_mmu* function: seeing
        # it shows the filter took the image's instructions, not only
        # those functions'.
        while IFS= read -r line; do
            echo "$outside" | grep -qxF "$line" ||
                gbad="$gbad; no \"$line\" in the log: the filter missed instructions"
        done <<EOF
$guard_seen
EOF
        [ -z "$gbad" ] || { sed 's/^/    /' "$out"; bad "the guard rejected the run:${gbad#;}"; }
        guard="; guard: all $gn watched instructions outside the trace_* calls on its list"
    fi
    # Each TRACE line short: runs of one form as "N x form".
    sumup=$(sed -n -E 's/^TRACE ([a-z_]+): (.*)   \[.*/\1 \2/p' "$out" | awk '{
        fn = $1; sub(/^[^ ]+ /, ""); n = split($0, a, "; "); s = ""
        for (i = 1; i <= n; i += c) {
            for (c = 1; i + c <= n && a[i + c] == a[i]; c++) ;
            s = s (i > 1 ? "; " : "") (c > 1 ? c " x " : "") a[i]
        }
        printf "%s%s %s", (NR > 1 ? ", " : ""), fn, s }')
    [ "$mode" != trace ] || good "every traced function ran the policy's forms ($sumup)$guard"
    good "rejected as built to for$rejected, the rest as the policy says ($sumup)$guard"
    ;;
*)
    echo "check.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
