# bench/insns.awk - instructions per operation from one callgrind run of
# bench/insns.c.
#
# Usage: awk -f bench/insns.awk ANNOTATE DESC
#   ANNOTATE: `callgrind_annotate --inclusive=yes --threshold=100 OUT`
#   DESC:     the program's stdout (BENCH and SECTION descriptor lines)
# Prints one line per measurement: name <TAB> instructions <TAB> description
#   per iteration(X) = (Ir(X__b) - Ir(X__a)) / (calls * (nb - na))
#   instructions(X)  = per iteration(X) - per iteration(baseline of X)
# and for the whole-section pair (SECTION lazy eager args calls n):
#   (Ir(fn) - Ir(args)) / (calls * n)  per update, for fn = lazy, eager.
FNR == NR {
    # "  162,015 ( 3.33%)  ???:name [object]"
    if ($1 ~ /^[0-9,]+$/) {
        ir = $1
        gsub(/,/, "", ir)
        for (i = 2; i <= NF; i++)
            if ($i ~ /:/) {
                fn = $i
                sub(/^.*:/, "", fn)
                cost[fn] = ir + 0
                break
            }
    }
    next
}
$1 == "BENCH" {
    name = $2
    if (!((name "__a") in cost) || !((name "__b") in cost)) {
        printf "insns.awk: no callgrind count for %s\n", name > "/dev/stderr"
        bad = 1
        next
    }
    per[name] = (cost[name "__b"] - cost[name "__a"]) / ($4 * ($6 - $5))
    net = per[name]
    if ($3 != "-")
        net -= per[$3]
    what = $7
    for (i = 8; i <= NF; i++)
        what = what " " $i
    printf "%s\t%.1f\t%s\n", name, net, what
    next
}
$1 == "SECTION" {
    lazy = $2; eager = $3; args = $4; calls = $5; n = $6
    printf "%s\t%.1f\t%s\n", lazy, (cost[lazy] - cost[args]) / (calls * n),
           "per update, one section of " n " remaps (enter, set_pte x " n ", leave)"
    printf "%s\t%.1f\t%s\n", eager, (cost[eager] - cost[args]) / (calls * n),
           "per update, " n " eager remaps"
}
END { exit bad }
