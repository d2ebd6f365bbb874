# counts.awk - checks the COUNT lines of the normal kernel against what
# arch/aarch64/policy.h promises for measure()'s remaps: every page is valid
# and moves to another frame, so every update is a break-before-make.
#
# eager, n pages: each set_pte is its own publish:
#   DSB ISHST; TLBI VAAE1IS; DSB ISH; store; DSB ISHST; ISB
#   -> page_invals=n full_invals=0 barriers=4n bbm=n publishes=n
# lazy, n pages in one section: the made entries wait in the write queue,
# which holds batch (LAZY_MMU_BATCH_MAX) of them, so every batch-th update
# publishes early; each publish is one barrier group around its TLBIs:
#   P = ceil(n / batch) publishes, each DSB ISHST; TLBI x k; DSB ISH;
#   stores; DSB ISHST; ISB  (the k add up to n: every page once)
#   -> page_invals=n full_invals=0 barriers=4P bbm=n publishes=P
# No publish covers more than batch + 1 pages, so while that is within
# threshold (LAZY_MMU_FLUSH_ALL_THRESHOLD) no TLBI VMALLE1IS is issued.
# Usage: awk -v batch=64 -v threshold=512 -f counts.awk kernel.log
BEGIN { bad = 0; seen = 0 }
/^COUNT aarch64 remap n=[0-9]+ (eager|lazy):/ {
    seen++
    n = substr($4, 3) + 0
    mode = $5; sub(/:$/, "", mode)
    for (i = 6; i <= NF; i++) { split($i, kv, "="); got[kv[1]] = kv[2] + 0 }
    if (mode == "eager") {
        want["page_invals"] = n; want["full_invals"] = 0; want["barriers"] = 4 * n
        want["bbm"] = n; want["publishes"] = n
    } else {
        p = int((n + batch - 1) / batch)
        want["page_invals"] = n; want["full_invals"] = 0; want["barriers"] = 4 * p
        want["bbm"] = n; want["publishes"] = p
    }
    line_ok = 1
    for (k in want)
        if (!(k in got) || got[k] != want[k]) {
            printf "    counts| %s: %s=%s, policy says %d\n", $0, k, (k in got) ? got[k] : "missing", want[k]
            line_ok = 0
        }
    if (line_ok) printf "    counts| %s  (as predicted)\n", $0
    else bad++
    delete got; delete want
}
END {
    if (batch + 1 > threshold) {
        print "aarch64 counts: cannot predict (batch + 1 > threshold: a full flush may occur)"; exit 1
    }
    if (seen != 6) { printf "aarch64 counts: FAILED (%d COUNT lines, expected 6)\n", seen; exit 1 }
    if (bad) { printf "aarch64 counts: FAILED (%d of %d COUNT lines differ from the policy)\n", bad, seen; exit 1 }
    printf "aarch64 counts: PASS (%d COUNT lines match the policy: 4 barriers and one TLBI per page per publish, ceil(n/%d) publishes per lazy remap)\n", seen, batch
}
