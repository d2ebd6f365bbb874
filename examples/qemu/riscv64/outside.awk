# examples/qemu/riscv64/outside.awk - the other half of common/trace.awk:
# every picked instruction the log shows executed outside the trace_*
# functions' calls (before the first, between two, after the last), one
# line each, in executed order:
#     OUTSIDE <function that holds it>: <insn>
# A call is delimited as trace.awk delimits it (from the function's entry to
# one of its own returns), so each logged instruction is counted by exactly
# one of the two.  check.sh's trace guard judges these lines.
#
# Usage: awk -v pick='REGEX' -f outside.awk kernel.dis trace.log
function norm(h) { sub(/^0x/, "", h); sub(/^0+/, "", h); return tolower(h) }
FNR == NR {
    if ($0 ~ /^[0-9a-f]+ <[^>]*>:$/) {
        if ($2 ~ /^<\.L/) next             # a local label (clang keeps them): same function
        name = $2; gsub(/[<>:]/, "", name)
        intrace = name ~ /^trace_/
        if (intrace) entry[norm($1)] = name
        next
    }
    if ($0 ~ /^ *[0-9a-f]+:\t/) {
        n = split($0, f, "\t")
        if (n < 3) next
        addr = f[1]; sub(/:$/, "", addr); gsub(/ /, "", addr)
        insn = f[3]; for (i = 4; i <= n; i++) insn = insn " " f[i]
        sub(/ *(#|<).*$/, "", insn)
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
