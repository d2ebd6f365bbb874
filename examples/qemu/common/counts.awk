# common/counts.awk - the COUNT lines of common/timing.c (debug + stats
# build: map, remap and protect of n pages, eagerly or in one section)
# against what the architecture's policy.h promises for them.  The promise
# is the same shape everywhere, its numbers are the architecture's, given
# as one "op:invalidates:eager:lazy:full:bbm" entry per operation in -v table:
#   invalidates  1 if the op owes a TLB invalidation per page (aarch64's map,
#                invalid -> valid, owes none; riscv64 without Svvptc does)
#   eager        barriers per page when each set_pte is its own publish
#   lazy         barriers of one section that invalidates page by page
#   full         barriers of one section past the threshold (one full flush)
#   bbm          break-before-make entries per page (aarch64's remap)
# An eager run publishes (and invalidates) once per page; a section once,
# per page up to -v threshold (LAZY_MMU_FLUSH_ALL_THRESHOLD), else with one
# full flush.  18 lines must be there: 3 ops x 3 sizes x eager, lazy.
# Usage: awk -v arch=aarch64 -v threshold=511 -v table='...' -f counts.awk LOG
# prints the lines that differ and one last line "N M F": COUNT lines seen,
# lines that differ, fields that differ; exits 0 only when all 18 match.
BEGIN {
    nt = split(table, t, " ")
    for (i = 1; i <= nt; i++) {
        split(t[i], f, ":")
        inv[f[1]] = f[2]; eager[f[1]] = f[3]; lazy[f[1]] = f[4]; full[f[1]] = f[5]; bbm[f[1]] = f[6]
    }
}
$1 == "COUNT" && $2 == arch && ($3 in inv) && $4 ~ /^n=[0-9]+$/ && $5 ~ /^(eager|lazy):$/ {
    seen++
    op = $3; n = substr($4, 3) + 0; how = $5
    for (i = 6; i <= NF; i++) { split($i, kv, "="); got[kv[1]] = kv[2] }
    want["bbm"] = bbm[op] * n
    if (how == "eager:") {
        want["page_invals"] = inv[op] * n; want["full_invals"] = 0
        want["barriers"] = eager[op] * n; want["publishes"] = n
    } else {
        per_page = n <= threshold
        want["page_invals"] = per_page ? inv[op] * n : 0
        want["full_invals"] = per_page ? 0 : inv[op]
        want["barriers"] = per_page ? lazy[op] : full[op]
        want["publishes"] = 1
    }
    line_bad = 0
    if (NF != 10) { printf "    %s: %d fields, the policy names 5\n", $0, NF - 5; line_bad = 1; fields++ }
    for (k in want)
        if (!(k in got) || got[k] != want[k] "") {
            printf "    %s: %s=%s, the policy says %d\n", $0, k, (k in got) ? got[k] : "missing", want[k]
            line_bad = 1; fields++
        }
    bad += line_bad
    delete got; delete want
}
END {
    printf "%d %d %d\n", seen, bad, fields
    exit !(seen == 18 && bad == 0)
}
