# common/dis.awk - one line of an objdump -d listing, read the one way
# every script here reads it; given first (awk -f dis.awk -f trace.awk ...).
# dis_line() returns 1 at a function's label (dis_name, dis_addr: its
# name and address), 2 at an instruction (dis_addr, and dis_insn: its
# disassembly without objdump's comments and symbol hints, single-spaced),
# 0 at anything else.  Addresses are norm()'s: lower case, no 0x, no
# leading zeros, as QEMU's log gives them after norm().
function norm(h) { sub(/^0x/, "", h); sub(/^0+/, "", h); return tolower(h) }
function dis_line(    n, f, i) {
    if ($0 ~ /^[0-9a-f]+ <[^>]*>:$/) {
        if ($2 ~ /^<\.L/) return 0         # a local label (clang keeps them): same function
        dis_name = $2; gsub(/[<>:]/, "", dis_name)
        dis_addr = norm($1)
        return 1
    }
    # "  addr:\tbytes\tmnemonic operands" (a continuation line has no third field)
    if ($0 !~ /^ *[0-9a-f]+:\t/) return 0
    n = split($0, f, "\t")
    if (n < 3) return 0
    dis_addr = f[1]; sub(/:$/, "", dis_addr); gsub(/ /, "", dis_addr)
    dis_addr = norm(dis_addr)
    dis_insn = f[3]; for (i = 4; i <= n; i++) dis_insn = dis_insn " " f[i]
    sub(/ *(#|<).*$/, "", dis_insn)
    gsub(/  +/, " ", dis_insn)
    return 2
}
