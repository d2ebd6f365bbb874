# bench/insns_peers.awk - instructions per update, lazymmu against the peers,
# from one callgrind run of bench/insns_peers.c (one backend).
#
# Usage: awk -f bench/insns_peers.awk ANNOTATE DESC
#   ANNOTATE: `callgrind_annotate --inclusive=yes --threshold=100 OUT`
#   DESC:     the program's stdout (BACKEND, COLUMN, WORKLOAD, CELL lines)
# Prints the backend's Markdown table, then its insns-check lines in a
# fenced block.  For a cell with function prefix F and its workload's
# baseline B (N updates a section, NA and NB sections):
#   per update = ((Ir(F__b) - Ir(F__a)) - (Ir(B__b) - Ir(B__a))) / ((NB - NA) * N)
# Exits 1 only if a count is missing (a build or a run went wrong).
FNR == NR {
    # "  162,015 ( 3.33%)  ???:name [object]"
    if ($1 ~ /^[0-9,]+$/)
        for (i = 2; i <= NF; i++)
            if ($i ~ /:/) {
                fn = $i
                sub(/^.*:/, "", fn)
                ir = $1
                gsub(/,/, "", ir)
                cost[fn] = ir + 0
                break
            }
    next
}
function rest(from,    s, i) {
    s = $from
    for (i = from + 1; i <= NF; i++)
        s = s " " $i
    return s
}
function delta(prefix) {
    if (!((prefix "__a") in cost) || !((prefix "__b") in cost)) {
        printf "insns_peers.awk: no callgrind count for %s\n", prefix > "/dev/stderr"
        bad = 1
        return 0
    }
    return cost[prefix "__b"] - cost[prefix "__a"]
}
# Two decimals, or two significant digits below 0.1 (the quadratic peers).
function r2(x) {
    return sprintf(x < 0.1 ? "%.2g" : "%.2f", x)
}
$1 == "BACKEND" { backend = $2; next }
$1 == "COLUMN" { col[++ncol] = $2; label[$2] = rest(3); next }
$1 == "WORKLOAD" {
    w = $2; order[++nw] = w; check[w] = $3; n[w] = $4; na[w] = $5; nb[w] = $6; what[w] = rest(7)
    next
}
$1 == "CELL" { fnof[$2, $3] = $4; next }
END {
    printf "### %s: instructions per update\n\n", backend
    head = "| workload"
    rule = "| ---"
    for (c = 1; c <= ncol; c++) {
        head = head " | " label[col[c]]
        rule = rule " | ---:"
    }
    # The naive eager peer's invalidations count one instruction each here,
    # so it is often the cheapest; the last column leaves it out.
    print head " | lazymmu / cheapest peer | lazymmu / cheapest batching peer |"
    print rule " | ---: | ---: |"
    nchk = 0
    for (k = 1; k <= nw; k++) {
        w = order[k]
        base = delta(fnof[w, "base"])
        line = "| " what[w]
        best = ""
        batch = ""
        for (c = 1; c <= ncol; c++) {
            s = col[c]
            if (!((w, s) in fnof)) {
                line = line " | -"
                continue
            }
            v[s] = (delta(fnof[w, s]) - base) / ((nb[w] - na[w]) * n[w])
            line = line sprintf(" | %.1f", v[s])
            if (s != "lazymmu" && (best == "" || v[s] < v[best]))
                best = s
            if (s != "lazymmu" && s != "eager" && (batch == "" || v[s] < v[batch]))
                batch = s
        }
        # The eager row has one peer, the naive one, and its own bound.
        limit = (w == "eager") ? 1.5 : 1.25
        ratio = (v[best] > 0) ? v["lazymmu"] / v[best] : 0
        line = line sprintf(" | %s (%s)", r2(ratio), best)
        if (batch != "" && v[batch] > 0)
            line = line sprintf(" | %s (%s) |", r2(v["lazymmu"] / v[batch]), batch)
        else
            line = line " | - |"
        print line
        chk[++nchk] = sprintf("insns-check %s %s: lazymmu %.1f, cheapest peer %.1f (%s) ratio %s: %s (%s)",
                              backend, check[w], v["lazymmu"], v[best], best, r2(ratio),
                              (v[best] > 0 && ratio <= limit) ? "meets" : "misses",
                              w == "eager" ? "<= 1.5x naive" : "<= 1.25")
    }
    print ""
    print "```"
    for (k = 1; k <= nchk; k++)
        print chk[k]
    print "```"
    exit bad
}
