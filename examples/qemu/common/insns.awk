# common/insns.awk - the instructions of an objdump -d listing whose
# disassembly matches -v pick, for common/check.sh:
#   -v list=ranges   ",0xADDR+0x1" each: QEMU -dfilter ranges of their first
#                    bytes, so the instruction log shows every one executed
#   -v list=holders  the function holding each, one a line
#   -v list=cut      (a second file, QEMU's -d exec log) that log without
#                    the lines of those instructions
# Instructions are read as common/trace.awk reads them.
# Usage: awk -v pick=REGEX -v list=ranges|holders -f insns.awk kernel.dis
#        awk -v pick=REGEX -v list=cut -f insns.awk kernel.dis trace.log
function norm(h) { sub(/^0x/, "", h); sub(/^0+/, "", h); return tolower(h) }
FNR == NR {
    if ($0 ~ /^[0-9a-f]+ <[^>]*>:$/) {
        if ($2 !~ /^<\.L/) { name = $2; gsub(/[<>:]/, "", name) }
        next
    }
    if ($0 ~ /^ *[0-9a-f]+:\t/) {
        n = split($0, f, "\t")
        if (n < 3) next
        addr = f[1]; sub(/:$/, "", addr); gsub(/ /, "", addr)
        insn = f[3]; for (i = 4; i <= n; i++) insn = insn " " f[i]
        sub(/ *(#|<).*$/, "", insn)
        gsub(/  +/, " ", insn)
        if (insn !~ pick) next
        if (list == "ranges") printf ",0x%s+0x1", addr
        else if (list == "holders") print name
        else picked[norm(addr)] = 1
    }
    next
}
list == "cut" && /^Trace / {
    s = $0; sub(/^[^[]*\[[0-9a-f]+\//, "", s); sub(/\/.*/, "", s)
    if (norm(s) in picked) next
}
list == "cut" { print }
