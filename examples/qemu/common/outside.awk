# examples/qemu/common/outside.awk - what trace.awk leaves out:
# every picked instruction QEMU's log shows executed outside the trace_*
# functions' calls (before the first, between two, after the last), one
# line each, in executed order:
#     OUTSIDE <function that holds it>: <insn>
# A call is delimited as trace.awk delimits it (the function's entry to one
# of its own returns), so each logged instruction is counted by exactly one
# of the two.  Each architecture's trace check (x86_64 check-trace.sh,
# riscv64 check.sh) judges these lines against its own list of what may run
# outside: the boot's own page-table setup and the library.
#
# Usage: awk -v pick='REGEX' -f outside.awk kernel.dis trace.log
#   kernel.dis  objdump -d of the kernel (x86_64: its 32-bit entry
#               disassembled as such)
#   trace.log   qemu ... -singlestep -d exec,nochain -dfilter ... -D trace.log
function norm(h) { sub(/^0x/, "", h); sub(/^0+/, "", h); return tolower(h) }
FNR == NR {
    if ($0 ~ /^[0-9a-f]+ <[^>]*>:$/) {
        if ($2 ~ /^<\.L/) next             # a local label (clang keeps them): same function
        name = $2; gsub(/[<>:]/, "", name)
        intrace = name ~ /^trace_/
        if (intrace) entry[norm($1)] = name
        next
    }
    # "  addr:\tbytes\tmnemonic operands" (a continuation line has no third field)
    if ($0 ~ /^ *[0-9a-f]+:\t/) {
        n = split($0, f, "\t")
        if (n < 3) next
        addr = f[1]; sub(/:$/, "", addr); gsub(/ /, "", addr)
        insn = f[3]; for (i = 4; i <= n; i++) insn = insn " " f[i]
        sub(/ *(#|<).*$/, "", insn)       # objdump's comments and symbol hints
        gsub(/  +/, " ", insn)
        if (insn ~ pick) { op[norm(addr)] = insn; fn[norm(addr)] = name }
        if (intrace && insn ~ /^ret/) isret[norm(addr)] = 1
    }
    next
}
/^Trace / {
    s = $0; sub(/^[^[]*\[[0-9a-f]+\//, "", s); sub(/\/.*/, "", s)
    pc = norm(s)
    if (pc in entry) seg = entry[pc]
    if (seg == "" && (pc in op)) printf "OUTSIDE %s: %s\n", fn[pc], op[pc]
    if (pc in isret) seg = ""
}
