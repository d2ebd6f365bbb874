# common/insns.awk - the instructions of an objdump -d listing whose
# disassembly matches -v pick, for common/check.sh:
#   -v list=ranges   ",0xADDR+0x1" each: QEMU -dfilter ranges of their first
#                    bytes, so the instruction log shows every one executed
#   -v list=holders  the function holding each, one a line
#   -v list=cut      (a second file, QEMU's -d exec log) that log without
#                    the lines of those instructions
# The listing is read by common/dis.awk, given first.
# Usage: awk -v pick=REGEX -v list=ranges|holders -f dis.awk -f insns.awk kernel.dis
#        awk -v pick=REGEX -v list=cut -f dis.awk -f insns.awk kernel.dis trace.log
FNR == NR {
    k = dis_line()
    if (k == 1) name = dis_name
    if (k == 2 && dis_insn ~ pick) {
        if (list == "ranges") printf ",0x%s+0x1", dis_addr
        else if (list == "holders") print name
        else picked[dis_addr] = 1
    }
    next
}
list == "cut" && /^Trace / {
    s = $0; sub(/^[^[]*\[[0-9a-f]+\//, "", s); sub(/\/.*/, "", s)
    if (norm(s) in picked) next
}
list == "cut" { print }
