# trace.awk - the order of the barrier and TLBI instructions the library
# executed in facts.c's trace_lazy_remap() and trace_eager_remap(), from
# QEMU's -singlestep -d exec log, against arch/aarch64/policy.h:
#   lazy, 3 valid pages remapped in one section (break-before-make each):
#     dsb ishst; tlbi vaale1is x3; dsb ish; (the 3 new entries stored); dsb ishst; isb
#   (VAALE1IS: leaf entries changed, so the last-level form)
#   eager, 1 page: the same with one TLBI.
# Usage: awk -f trace.awk kernel-facts.dis trace.log
#   (kernel-facts.dis: objdump -d output; trace.log: QEMU's log)
function norm(h) { sub(/^0x/, "", h); sub(/^0+/, "", h); return tolower(h) }
FNR == NR {
    if ($0 ~ /^[0-9a-f]+ <trace_lazy_remap>:$/) lazy_pc = norm($1)
    if ($0 ~ /^[0-9a-f]+ <trace_eager_remap>:$/) eager_pc = norm($1)
    if ($0 ~ /^ *[0-9a-f]+:\t[0-9a-f]+ \t(dsb|isb|tlbi)/) {
        split($0, f, "\t")
        addr = f[1]; sub(/:$/, "", addr); gsub(/ /, "", addr)
        insn = f[3] (f[4] != "" ? " " f[4] : "")
        sub(/, x[0-9]+$/, "", insn)       # the TLBI's register does not matter
        op[norm(addr)] = insn
    }
    next
}
/^Trace / {
    s = $0; sub(/^[^[]*\[[0-9a-f]+\//, "", s); sub(/\/.*/, "", s)
    pc = norm(s)
    if (pc == lazy_pc) seg = "lazy"
    else if (pc == eager_pc) seg = "eager"
    if (seg != "" && (pc in op)) seq[seg] = seq[seg] (seq[seg] == "" ? "" : "; ") op[pc]
}
END {
    want["lazy"] = "dsb ishst; tlbi vaale1is; tlbi vaale1is; tlbi vaale1is; dsb ish; dsb ishst; isb"
    want["eager"] = "dsb ishst; tlbi vaale1is; dsb ish; dsb ishst; isb"
    if (lazy_pc == "" || eager_pc == "") { print "aarch64 trace: FAILED (trace functions not in the disassembly)"; exit 1 }
    bad = 0
    for (k in want) {
        printf "    trace| %s remap executed: %s%s\n", k, seq[k] == "" ? "(nothing)" : seq[k], seq[k] == want[k] ? "  (as the policy says)" : ""
        if (seq[k] != want[k]) { printf "    trace| %s remap should be: %s\n", k, want[k]; bad++ }
    }
    if (bad) { print "aarch64 trace: FAILED (executed barrier/TLBI order differs from the policy)"; exit 1 }
    print "aarch64 trace: PASS (the executed DSB/TLBI/ISB order matches the policy)"
}
