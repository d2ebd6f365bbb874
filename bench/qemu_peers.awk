# bench/qemu_peers.awk - the PEER lines of the QEMU kernels (examples/qemu/
# common/peers.c) as one Markdown table per architecture and boot, plus a
# "qemu-check" verdict for every cell where lazymmu and the fastest peer
# issued the same hardware operations: only there is the ratio about the
# library's own cost rather than about a different invalidation choice.
#
#   awk -f bench/qemu_peers.awk examples/qemu/x86_64/kernel.log \
#       examples/qemu/aarch64/kernel.log examples/qemu/riscv64/kernel.log
#   (or: make -C examples/qemu peers, which boots each kernel.elf once)
#
# Line: [prefix] PEER <arch> <op> <set> <strategy> ticks=<median>
#       hwops=<page invals>/<full invals>/<barriers> [range=lo-hi reps=n]
# Ticks are arch_cycles() units (TSC, CNTVCT, time CSR): compare within a
# table, never across.  A table is one boot: ratios are only meaningful
# between strategies timed alternately in the same boot, so two logs of one
# arch give two tables, not a merged one.  Exits 1 when no PEER line was
# found or a row has no lazymmu or no peer.
BEGIN {
    limit = 1.2
    ntab = 0
}

{
    sub(/\r$/, "")
    for (p = 1; p <= NF && $p != "PEER"; p++)
        ;
    if (p + 6 > NF + 1 || $(p + 5) !~ /^ticks=/)
        next
    tab = FILENAME "\034" $(p + 1)
    if (!(tab in tab_seen)) {
        tab_seen[tab] = 1
        tabs[++ntab] = tab
        tab_file[tab] = FILENAME
        tab_arch[tab] = $(p + 1)
    }
    row = $(p + 2) " " $(p + 3)
    if (!((tab, row) in row_seen)) {
        row_seen[tab, row] = 1
        rows[tab, ++nrow[tab]] = row
    }
    s = $(p + 4)
    if (!((tab, s) in col_seen)) {
        col_seen[tab, s] = 1
        cols[tab, ++ncol[tab]] = s
    }
    ticks[tab, row, s] = substr($(p + 5), 7) + 0
    hw[tab, row, s] = ""
    for (i = p + 6; i <= NF; i++)
        if ($i ~ /^hwops=/)
            hw[tab, row, s] = substr($i, 7)
    lines++
}

function fmt(r) {
    return sprintf("%.2f", r)
}

END {
    if (!lines) {
        print "qemu_peers.awk: no PEER lines in the input" > "/dev/stderr"
        exit 1
    }
    bad = 0
    for (t = 1; t <= ntab; t++) {
        tab = tabs[t]
        printf "### %s (%s)\n\n", tab_arch[tab], tab_file[tab]
        printf "Median ticks; hwops = page invalidations / full invalidations / barriers.\n\n"
        head = "| op | set |"
        rule = "| --- | --- |"
        for (c = 1; c <= ncol[tab]; c++) {
            head = head " " cols[tab, c] " |"
            rule = rule " ---: |"
        }
        print head " lazymmu / best peer | hwops lazymmu | hwops best peer | same hwops |"
        print rule " ---: | --- | --- | :---: |"
        nchk = 0
        for (r = 1; r <= nrow[tab]; r++) {
            row = rows[tab, r]
            split(row, rw, " ")
            line = "| " rw[1] " | " rw[2] " |"
            best = ""
            for (c = 1; c <= ncol[tab]; c++) {
                s = cols[tab, c]
                if (!((tab, row, s) in ticks)) {
                    line = line " - |"
                    continue
                }
                line = line " " ticks[tab, row, s] " |"
                if (s != "lazymmu" && (best == "" || ticks[tab, row, s] < ticks[tab, row, best]))
                    best = s
            }
            if (!((tab, row, "lazymmu") in ticks) || best == "") {
                print "qemu_peers.awk: " tab_arch[tab] " " row ": no lazymmu or no peer" > "/dev/stderr"
                bad = 1
                continue
            }
            lz = ticks[tab, row, "lazymmu"]
            bt = ticks[tab, row, best]
            ratio = bt ? lz / bt : 0
            same = hw[tab, row, "lazymmu"] == hw[tab, row, best]
            printf "%s %s%s%s | %s | %s (%s) | %s |\n", line, same ? "**" : "", fmt(ratio),
                   same ? "**" : "", hw[tab, row, "lazymmu"], hw[tab, row, best], best,
                   same ? "=" : ""
            if (same)
                chk[++nchk] = sprintf("qemu-check %s %s: lazymmu/best %s: %s (<= %s)",
                                      tab_arch[tab], row, fmt(ratio),
                                      ratio <= limit ? "meets" : "misses", limit)
        }
        print ""
        for (k = 1; k <= nchk; k++)
            print chk[k]
        if (nchk)
            print ""
    }
    exit bad
}
