# counts.awk - checks the COUNT lines of the normal kernel (common/timing.c,
# debug + stats build) against what arch/aarch64/policy.h promises for n
# consecutive pages changed eagerly or in one section:
#   map      invalid -> valid
#   remap    valid -> valid at another frame: a break-before-make each
#   protect  read-write -> read-only, same frame: a TLBI each, no break
#
# eager, n pages: each set_pte is its own publish:
#   map      DSB ISHST; ISB                         -> barriers=2n
#   remap    DSB ISHST; TLBI VAALE1IS; DSB ISH; make; DSB ISHST; ISB
#                                                   -> page_invals=n barriers=4n bbm=n
#   protect  DSB ISHST; TLBI VAALE1IS; DSB ISH; ISB  -> page_invals=n barriers=3n
#   publishes=n for all three.
# lazy, one section: one DSB ISHST, the TLBIs (one per page up to threshold,
# LAZY_MMU_FLUSH_ALL_THRESHOLD, else one TLBI VMALLE1IS), one DSB ISH, for a
# remap the makes and another DSB ISHST, then one ISB; a map has only the
# DSB ISHST and the ISB.  A contiguous remap's broken entries are one run
# (arch/aarch64/types.h), so it too publishes once: barriers=4 publishes=1.
# Usage: awk -v threshold=511 -f counts.awk kernel.log
function invals(pages) {
    want["page_invals"] = pages <= threshold ? pages : 0
    want["full_invals"] = pages <= threshold ? 0 : 1
}
BEGIN {
    bad = 0; seen = 0
}
/^COUNT aarch64 (map|remap|protect) n=[0-9]+ (eager|lazy):/ {
    seen++
    op = $3
    n = substr($4, 3) + 0
    mode = $5; sub(/:$/, "", mode)
    for (i = 6; i <= NF; i++) { split($i, kv, "="); got[kv[1]] = kv[2] + 0 }
    want["bbm"] = op == "remap" ? n : 0
    if (mode == "eager") {
        want["page_invals"] = op == "map" ? 0 : n
        want["full_invals"] = 0
        want["barriers"] = (op == "map" ? 2 : op == "remap" ? 4 : 3) * n
        want["publishes"] = n
    } else if (op == "map") {
        want["page_invals"] = 0; want["full_invals"] = 0
        want["barriers"] = 2; want["publishes"] = 1
    } else if (op == "protect") {
        invals(n)
        want["barriers"] = 3; want["publishes"] = 1
    } else {
        invals(n)
        want["barriers"] = 4; want["publishes"] = 1
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
    if (seen != 18) { printf "aarch64 counts: FAILED (%d COUNT lines, expected 18)\n", seen; exit 1 }
    if (bad) { printf "aarch64 counts: FAILED (%d of %d COUNT lines differ from the policy)\n", bad, seen; exit 1 }
    printf "aarch64 counts: PASS (%d COUNT lines match the policy: map, remap, protect, eager and in one section)\n", seen
}
