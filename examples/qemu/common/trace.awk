# common/trace.awk - what a kernel's trace_* functions executed, from QEMU's
# instruction log: one line per function,
#     TRACE <function>: <insn>; <insn>; ...      ("(nothing)" if none)
# listing, in executed order, the instructions whose disassembly matches
# `pick` (the invalidations, fences and root switches a check is about),
# including those of out-of-line library code they called: from the
# function's entry to one of its own returns (out-of-line library code that
# untraced callers run later belongs to no function).  A trace_* function
# without a return of its own (a tail call) cannot be delimited and says so,
# unless -v tailcalls=1: then it runs to the next trace_* entry or the log's
# end, which is right only where nothing the filter logs runs in between
# (aarch64's facts kernel, whose trace_eager_remap ends in a branch to
# lazy_mmu_set_pte, and runs last).
#
# With -v mode=outside it lists the other half instead: every picked
# instruction executed outside those calls (before the first, between two,
# after the last), one line each, in executed order,
#     OUTSIDE <function that holds it>: <insn>
# so each logged instruction is counted by exactly one of the two modes.
#
# Usage: awk -v pick='REGEX' [-v mode=outside] [-v tailcalls=1] -f dis.awk -f trace.awk \
#            kernel.dis trace.log
#   kernel.dis  objdump -d of the kernel (x86_64: its 32-bit entry
#               disassembled as such)
#   trace.log   qemu ... -singlestep -d exec,nochain -dfilter <ranges of the
#               trace_* and lazy_mmu* symbols, and for mode=outside of every
#               picked instruction> -D trace.log
# The architecture's check script compares each line with what the policy
# promises (TRACE), or with its list of what may run outside the traced
# calls - the boot's own page-table setup and the library (OUTSIDE); this
# file only turns a log into sequences.
FNR == NR {
    k = dis_line()
    if (k == 1) {
        name = dis_name
        intrace = name ~ /^trace_/
        if (intrace) {
            entry[dis_addr] = name
            order[++nfn] = name
        }
    }
    if (k == 2) {
        if (dis_insn ~ pick) { op[dis_addr] = dis_insn; holder[dis_addr] = name }
        if (intrace && dis_insn ~ /^ret/) { isret[dis_addr] = 1; hasret[name] = 1 }
    }
    next
}
/^Trace / {
    s = $0; sub(/^[^[]*\[[0-9a-f]+\//, "", s); sub(/\/.*/, "", s)
    pc = norm(s)
    if (pc in entry) { seg = entry[pc]; seen[seg] = 1 }
    if (seg != "" && (pc in op)) seq[seg] = seq[seg] (seq[seg] == "" ? "" : "; ") op[pc]
    if (seg == "" && (pc in op) && mode == "outside") printf "OUTSIDE %s: %s\n", holder[pc], op[pc]
    if (pc in isret) seg = ""
}
END {
    for (i = 1; mode != "outside" && i <= nfn; i++) {
        fn = order[i]
        if (!(fn in hasret) && !tailcalls) { printf "TRACE %s: (no return of its own: cannot be delimited)\n", fn; continue }
        if (!(fn in seen)) { printf "TRACE %s: (not executed)\n", fn; continue }
        printf "TRACE %s: %s\n", fn, seq[fn] == "" ? "(nothing)" : seq[fn]
    }
}
