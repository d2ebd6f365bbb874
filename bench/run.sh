#!/usr/bin/env bash
# bench/run.sh - lazymmu's performance figures: prints Markdown tables and
# writes them, with PNG plots, to docs/bench/.  Figures only: nothing here
# fails on a slow number (it fails only when a tool is missing or a build or
# a verification breaks).
#
#   1. instructions per operation, counted by callgrind (repeatable), release
#      build, per backend, against a plain call and a plain store;
#   2. hardware-level operations for one section of N updates, eager vs lazy,
#      per backend, from the simulated MMU, with the floor;
#   3. wall time under QEMU (TCG) from the bare-metal kernels' TIME and COUNT
#      lines, eager vs lazy, per architecture;
#   4. lazymmu against the strategies a kernel would otherwise write
#      (bench/peers.c; alone: `make bench-peers`), modelled cost per
#      backend, operation and page set, every run verified;
#   5. instructions per update, lazymmu against the same peers, counted by
#      callgrind as in part 1 (bench/insns_peers.c), per backend and workload,
#      with one "insns-check" line per cell;
#   6. the performance targets, each marked "meets" or "misses" (printed
#      last, after parts 7 and 8);
#   7. the other CPUs: remote rounds per workload on a 4-CPU simulated MMU
#      (bench/rounds.c; alone: `make bench-rounds`), lazy vs one section per
#      operation vs eager, and the SMP kernels' wall time under QEMU.
#   8. address spaces: per configuration, what a section in one ASID / PCID
#      issues (all-spaces vs per-space forms) and how many of another space's
#      cached entries survive it, on a 4-CPU simulated MMU (bench/spaces.c;
#      alone: `make bench-spaces`).
#   9. the sizes a kernel may set: scattered remaps against
#      LAZY_MMU_BATCH_MAX and the threshold (bench/sizes.c; alone: `make
#      bench-sizes`).
#
# `bench/run.sh insns-peers` (`make bench-insns-peers`) runs part 5 alone: it
# prints its Markdown and leaves docs/bench/ as it is.
#
# Needs: gcc, valgrind (callgrind_annotate), gnuplot (gnuplot-nox), and for
# part 3 the cross compilers and qemu-system-* that `make test` needs.
# Environment: CC (host compiler, default gcc), BENCH_QEMU_BOOTS (boots per
# kernel, default 3; the median ratio is reported), BENCH_SKIP_QEMU=1.
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${CC:-gcc}
B=build/bench
OUT=docs/bench
BOOTS=${BENCH_QEMU_BOOTS:-3}
ONLY=${1:-}
case $ONLY in
"" | insns-peers) ;;
*)
    echo "usage: bench/run.sh [insns-peers]" >&2
    exit 2
    ;;
esac
mkdir -p "$B" "$OUT"
# Part 5 alone needs no plots and must not wipe the generated page.
TOOLS="$CC valgrind callgrind_annotate"
if [ -z "$ONLY" ]; then
    TOOLS="$TOOLS gnuplot"
    rm -f "$OUT"/*.png "$OUT"/README.md
fi

for tool in $TOOLS; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench: $tool not found (Debian: apt-get install -y --no-install-recommends" \
             "gcc valgrind gnuplot-nox)" >&2
        exit 1
    fi
done

MD=$B/README.md
TARGETS=$B/targets.tsv # what, backend, measured, required, verdict
: >"$MD"
: >"$TARGETS"
md() { printf '%s\n' "$@" >>"$MD"; }
target() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TARGETS"; }

W="-std=c11 -Wall -Wextra -Werror -pedantic"
BACKENDS="x86_64 aarch64 riscv64 paravirt"
# Columns of the instruction tables: the four backends as shipped, and x86_64
# with LAZY_MMU_X86_64_PKRU (sections carry PKRU: the pkeys case).  The targets
# apply to the first four.
COLUMNS="x86_64 aarch64 riscv64 paravirt x86_64+PKRU"
column_flags() {
    case $1 in
    x86_64+PKRU) echo "-DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_X86_64_PKRU=1" ;;
    *) echo "-DLAZY_MMU_ARCH_$(echo "$1" | tr '[:lower:]' '[:upper:]')" ;;
    esac
}

# ---------------------------------------------------------------------------
# 5. Instructions per update against the peers (callgrind).  Defined up here
# so that `bench/run.sh insns-peers` can run it alone; called after part 4.
# ---------------------------------------------------------------------------
insns_peers() {
    local be bin
    echo "bench: instructions per update, lazymmu against the peers (callgrind)" >&2
    md "" "## 5. Instructions per update: lazymmu against the peers" ""
    md "The strategies of part 4 (\`bench/peers.h\`, its own functions), counted as in" \
       "part 1: the release build over \`bench/nullinsn.h\` (each privileged" \
       "instruction one \`nop\`, no simulator), \`-O2 -fno-stack-protector" \
       "-fcf-protection=none\`, under \`valgrind --tool=callgrind\`.  A cell is the" \
       "instructions of whole sections divided by their updates: for lazymmu enter," \
       "N \`lazy_mmu_set_pte\`, leave (its publish and invalidation loop included);" \
       "for a batching peer one call of its batch function, which stores the N" \
       "entries and makes them visible; for the naive eager peer its per-update" \
       "function N times.  Method (\`bench/insns_peers.c\`): each cell runs NA = 1" \
       "and NB = 3 sections in a row (the eager row: 1000 and 2000 one-update" \
       "calls) through one shared out-of-line body; (Ir(NB) - Ir(NA)) differenced" \
       "over the number of *sections* cancels what is paid once per cell, and the" \
       "same difference for a loop that only loads each update's arguments (every" \
       "strategy reads them from the same prebuilt array) is subtracted; the rest" \
       "is divided by (NB - NA) x N.  Sections alternate between two generations" \
       "of entries over a 4096-entry table, so every update changes its entry." \
       "Paravirt counts the guest only: the hypercall is an out-of-line function" \
       "that applies the SETs, and callgrind does not collect inside it" \
       "(\`--toggle-collect\`).  Because an invalidation is one \`nop\` here, the" \
       "naive eager peer is cheap in instructions and is not in hardware (parts 2" \
       "and 4); the last column compares lazymmu with the batching peers only." \
       "The checks: lazymmu <= 1.25 x the cheapest peer, and for the eager row" \
       "<= 1.5 x the naive peer.  Figures, not tests: a miss fails nothing." \
       "\`make bench-insns-peers\` runs this part alone."
    for be in $BACKENDS; do
        bin=$B/insns-peers-$be
        # shellcheck disable=SC2046,SC2086
        $CC $W -O2 -fno-stack-protector -fcf-protection=none -DLAZY_MMU_DEBUG=0 -DLAZY_MMU_STATS=0 \
            $(column_flags "$be") -I. -Ibench bench/insns_peers.c -o "$bin"
        # --toggle-collect alone would also turn collection off at start.
        valgrind --tool=callgrind --toggle-collect=ip_hypercall --collect-atstart=yes \
            --callgrind-out-file="$bin.cg" "$bin" >"$bin.desc" 2>"$bin.vg"
        callgrind_annotate --inclusive=yes --threshold=100 "$bin.cg" >"$bin.ann"
        awk -f bench/insns_peers.awk "$bin.ann" "$bin.desc" >"$bin.md"
        md ""
        cat "$bin.md" >>"$MD"
    done
    md "" "$(for be in $BACKENDS; do cat "$B/insns-peers-$be.md"; done |
        awk '/^insns-check .*: meets \(/ { m++ } /^insns-check .*: misses \(/ { x++ }
             END { printf "%d insns-check cells meet, %d miss.", m, x }')"
}

if [ "$ONLY" = insns-peers ]; then
    MD=$B/insns-peers.md
    : >"$MD"
    insns_peers
    cat "$MD"
    exit 0
fi

md "# lazymmu benchmarks" ""
md "Generated by \`bench/run.sh\` (\`make bench\`); every figure below is printed by" \
   "the run, nothing is typed in.  Host: $($CC --version | head -1);" \
   "$(valgrind --version); $(gnuplot --version)."

# ---------------------------------------------------------------------------
# 1. Instructions per operation (callgrind)
# ---------------------------------------------------------------------------
echo "bench: instructions per operation (callgrind)" >&2
# config name, extra flags
CONFIGS="release:-DLAZY_MMU_DEBUG=0 -DLAZY_MMU_STATS=0
debug:-DLAZY_MMU_DEBUG=1 -DLAZY_MMU_STATS=0
debug+stats:-DLAZY_MMU_DEBUG=1 -DLAZY_MMU_STATS=1"
while IFS=: read -r cfg flags; do
    for be in $COLUMNS; do
        bin=$B/insns-$cfg-$be
        # -fno-stack-protector / -fcf-protection=none: what a kernel build
        # has; no -g, so callgrind names whole functions, inlined code included.
        # shellcheck disable=SC2086
        $CC $W -O2 -fno-stack-protector -fcf-protection=none $flags $(column_flags "$be") \
            -I. -Ibench bench/insns.c -o "$bin"
        valgrind --tool=callgrind --callgrind-out-file="$bin.cg" "$bin" >"$bin.desc" 2>"$bin.vg"
        callgrind_annotate --inclusive=yes --threshold=100 "$bin.cg" >"$bin.ann"
        awk -f bench/insns.awk "$bin.ann" "$bin.desc" >"$bin.tsv"
    done
done <<<"$CONFIGS"

# value NAME CONFIG BACKEND
value() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$B/insns-$2-$3.tsv"; }
describe() { awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$B/insns-release-x86_64.tsv"; }

insns_table() { # config
    local cfg=$1 row be
    md "" "| operation | x86_64 | aarch64 | riscv64 | paravirt | x86_64+PKRU |" "| --- | ---: | ---: | ---: | ---: | ---: |"
    for row in pair nested flush is_active lazy_protect lazy_remap eager_protect eager_remap \
        section32_lazy section32_eager section4096_lazy section4096_eager store call call_store; do
        local line="| $(describe $row)"
        case $row in store | call | call_store) line="| floor: $(describe $row)" ;; esac
        for be in $COLUMNS; do line="$line | $(value $row "$cfg" "$be")"; done
        md "$line |"
    done
}

md "" "## 1. Instructions per operation" ""
md "Counted by \`valgrind --tool=callgrind\` (instructions retired, not time: an" \
   "\`invlpg\` or a \`dsb\` costs far more than one cycle on hardware).  The x86_64," \
   "aarch64 and riscv64 policies are compiled for this host, in the release" \
   "configuration (\`LAZY_MMU_DEBUG=0\`, \`LAZY_MMU_STATS=0\`, no simulator), over" \
   "\`bench/nullinsn.h\`: it defines the backend's primitives under their own" \
   "names, one \`nop\` per privileged instruction with the same operands and" \
   "clobbers, and is plugged in as \`LAZY_MMU_INSN_HEADER\` (the instruction seam" \
   "of \`arch/select.h\`), so nothing under \`arch/\` changes.  The" \
   "counts are x86_64 instructions of each backend's generic layer + policy" \
   "(aarch64 and riscv64 native code would differ by a few instructions)." \
   "Paravirt's hypercall is an out-of-line function that applies the ops" \
   "(counted inside the eager and whole-section rows, not the per-update ones)." \
   "The x86_64+PKRU column is \`LAZY_MMU_X86_64_PKRU=1\` (sections open the page" \
   "tables' protection key): a variable plays PKRU, one instruction per" \
   "RDPKRU/WRPKRU; the targets apply to the four backends as shipped." ""
md "Method (\`bench/insns.c\`): each operation runs in a loop in an out-of-line" \
   "function, once with NA and once with NB iterations; (Ir(NB) - Ir(NA)) /" \
   "(NB - NA) cancels the call, prologue and anything paid once per section" \
   "(such as the first update, which starts a range), and the same difference for" \
   "a loop with the same shape but an empty body (or one that only computes the" \
   "entry pointer, the new entry and the VA) is subtracted.  Constant-cost" \
   "operations: 1000 vs 2000 iterations.  Per-update operations: a run of 16 vs" \
   "32 consecutive pages inside one open section (below every backend's" \
   "threshold and batch), so the figure is the marginal cost of an update in a" \
   "contiguous run.  \"remap\" changes the frame of a valid entry, \"protect\"" \
   "only a permission bit: on aarch64 a remap is a break-before-make (the new" \
   "entry is queued), on paravirt every update is queued." ""
md "### Release build (the targets apply to this one)"
insns_table release
md "" "### Debug + stats build (\`LAZY_MMU_DEBUG=1 LAZY_MMU_STATS=1\`, as the QEMU kernels are built)"
insns_table debug+stats

# What LAZY_MMU_DEBUG (and STATS on top) costs, operation by operation.
md "" "### Cost of the checks: release, debug, debug + stats side by side" ""
md "Each cell: release / \`LAZY_MMU_DEBUG=1\` / \`LAZY_MMU_DEBUG=1 LAZY_MMU_STATS=1\`," \
   "instructions per operation as above; in brackets what the misuse checks" \
   "add to the release figure (debug - release).  The floor rows do not change" \
   "and are left out." ""
md "| operation | x86_64 | aarch64 | riscv64 | paravirt | x86_64+PKRU |" "| --- | ---: | ---: | ---: | ---: | ---: |"
for row in pair nested flush is_active lazy_protect lazy_remap eager_protect eager_remap \
    section32_lazy section32_eager section4096_lazy section4096_eager; do
    line="| $(describe $row)"
    for be in $COLUMNS; do
        line="$line | $(awk -v r="$(value $row release "$be")" -v d="$(value $row debug "$be")" \
            -v s="$(value $row debug+stats "$be")" 'BEGIN { printf "%g / %g / %g (%+g)", r, d, s, d - r }')"
    done
    md "$line |"
done

# Targets on instruction counts (release).
for be in $BACKENDS; do
    v=$(value pair release "$be")
    target "empty enter/leave pair" "$be" "$v" "<= 12" "$(awk -v v="$v" 'BEGIN { print (v <= 12) ? "meets" : "misses" }')"
done
for be in $BACKENDS; do
    v=$(value flush release "$be")
    target "lazy_mmu_flush, nothing pending" "$be" "$v" "<= 6" "$(awk -v v="$v" 'BEGIN { print (v <= 6) ? "meets" : "misses" }')"
done
for kind in protect remap; do
    for be in $BACKENDS; do
        v=$(value lazy_$kind release "$be")
        lim=$(awk -v s="$(value store release "$be")" -v c="$(value call release "$be")" 'BEGIN { print 3 * (s + c) }')
        target "lazy set_pte, $kind run" "$be" "$v" "<= $lim (3 x (store $(value store release "$be") + call $(value call release "$be")))" \
            "$(awk -v v="$v" -v l="$lim" 'BEGIN { print (v <= l) ? "meets" : "misses" }')"
    done
done

# Plot: release instructions per operation, per backend, with the floor.
{
    echo "# operation x86_64 aarch64 riscv64 paravirt"
    for row in pair flush lazy_protect lazy_remap eager_protect eager_remap; do
        label=$(case $row in
            pair) echo '"enter+leave"' ;; flush) echo '"flush (empty)"' ;;
            lazy_protect) echo '"lazy protect"' ;; lazy_remap) echo '"lazy remap"' ;;
            eager_protect) echo '"eager protect"' ;; eager_remap) echo '"eager remap"' ;;
        esac)
        line=$label
        for be in $BACKENDS; do line="$line $(value $row release "$be")"; done
        echo "$line"
    done
} >"$B/insns.dat"
floor=$(awk -v s="$(value store release x86_64)" -v c="$(value call release x86_64)" 'BEGIN { print s + c }')
gnuplot <<EOF
set terminal pngcairo size 1000,560 font "sans,10"
set output "$OUT/insns.png"
set termoption noenhanced
set title "Instructions per operation, release build (callgrind; x86-64 code of each backend's policy)"
set xlabel "empty section, empty flush, and set_pte: lazy (in a run, inside a section) and eager"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [1:1000]
set ylabel "instructions (log scale)"
set grid ytics
set key top left
set xtics nomirror
plot "$B/insns.dat" using 2:xtic(1) title "x86_64" lc rgb "#1f77b4", \
     "" using 3 title "aarch64" lc rgb "#d62728", \
     "" using 4 title "riscv64" lc rgb "#2ca02c", \
     "" using 5 title "paravirt" lc rgb "#9467bd", \
     $floor with lines dt 2 lw 2 lc rgb "black" title "floor: plain call + plain store ($floor)", \
     3 * $floor with lines dt 3 lw 2 lc rgb "gray40" title "target for lazy set_pte: 3 x floor"
EOF

# ---------------------------------------------------------------------------
# 2. Hardware-level operations per section (simulator)
# ---------------------------------------------------------------------------
echo "bench: hardware-level operations per section (simulator)" >&2
HWC="$CC $W -O2 -I. -Ibench"
$HWC -DLAZY_MMU_ARCH_X86_64 -DHW_NAME=x86_64 -c bench/hwops_backend.c -o $B/hw-x86_64.o
$HWC -DLAZY_MMU_ARCH_AARCH64 -DHW_NAME=aarch64 -c bench/hwops_backend.c -o $B/hw-aarch64.o
$HWC -DLAZY_MMU_ARCH_RISCV64 -DHW_NAME=riscv64 -c bench/hwops_backend.c -o $B/hw-riscv64.o
$HWC -DLAZY_MMU_ARCH_RISCV64 -DLAZY_MMU_RISCV64_SVINVAL=1 -DHW_NAME=riscv64_svinval \
    -c bench/hwops_backend.c -o $B/hw-riscv64_svinval.o
$HWC -DLAZY_MMU_ARCH_PARAVIRT -DHW_NAME=paravirt -c bench/hwops_backend.c -o $B/hw-paravirt.o
$HWC -c bench/hwops.c -o $B/hwops.o
$CC $B/hwops.o $B/hw-*.o -o $B/hwops
$B/hwops $B/hwops.dat >$B/hwops.out

md "" "## 2. Hardware-level operations for one section of N updates" ""
md "Each backend's real policy over the simulated MMU (\`arch/<backend>/sim.h\` on \`arch/sim/model.h\`), counted" \
   "by instruction from its \`.n\` counters: a fresh window of N pages whose old" \
   "translations are all cached, then N updates of consecutive pages, eagerly (no" \
   "section) or inside one section.  \"verified\": afterwards every page reads" \
   "back the new entry through the simulated TLB, nothing is stale and no rule" \
   "(ordering, break-before-make, ISB) was broken.  The floor is what one" \
   "visibility point needs under the backend's own rules: N per-page" \
   "invalidations up to the threshold (x86_64 33, aarch64 512, riscv64 64) or one" \
   "full one above it; on aarch64 one barrier group (\`dsb ishst\`; TLBIs; \`dsb" \
   "ish\`; [the break-before-make stores; \`dsb ishst\`]; \`isb\`); on paravirt one" \
   "hypercall per batch of 32.  \"lazy / floor\" compares total operations."
grep -v '^TARGET' $B/hwops.out >>"$MD"
grep '^TARGET' $B/hwops.out | while IFS=$'\t' read -r _ be what got need verdict; do
    target "$what" "$be" "$got" "$need" "$verdict"
done

# Plots: total operations vs N, log-log, eager / lazy / floor per backend.
for wl in remap protect; do
    for be in x86_64 aarch64 riscv64 paravirt; do
        awk -v b="$be" -v w="$wl" '$1 == b && $2 == w { print $3, $4, $5, $6 }' $B/hwops.dat >"$B/hw-$be-$wl.dat"
    done
    gnuplot <<EOF
set terminal pngcairo size 1000,760 font "sans,10"
set output "$OUT/hwops-$wl.png"
set termoption noenhanced
set multiplot layout 2,2 title "Hardware operations (invalidations + barriers + hypercalls) for N ${wl}s, simulated MMU"
set logscale xy 2
set format y "%g"
set xrange [0.8:5000]
set yrange [0.8:40000]
set xtics (1, 8, 32, 64, 512, 4096)
set ytics (1, 4, 16, 64, 256, 1024, 4096, 16384)
set grid
set key top left
set xlabel "N (pages updated)"
set ylabel "operations"
do for [be in "x86_64 aarch64 riscv64 paravirt"] {
    f = sprintf("$B/hw-%s-$wl.dat", be)
    set title be noenhanced
    plot f using 1:2 with linespoints pt 7 lw 2 lc rgb "#d62728" title "eager (no section)", \
         f using 1:3 with linespoints pt 5 lw 2 lc rgb "#1f77b4" title "lazy (one section)", \
         f using 1:4 with lines dt 2 lw 2 lc rgb "black" title "floor (one visibility point)"
}
unset multiplot
EOF
done
md "" "![hardware operations for N remaps](hwops-remap.png)" "" \
   "![hardware operations for N protection changes](hwops-protect.png)"

# ---------------------------------------------------------------------------
# 3. Wall time under QEMU (TCG)
# ---------------------------------------------------------------------------
md "" "## 3. Wall time under QEMU" ""
QLOG=$B/qemu.log
: >"$QLOG"
if [ "${BENCH_SKIP_QEMU:-0}" = 1 ]; then
    md "Skipped (BENCH_SKIP_QEMU=1)."
else
    echo "bench: QEMU kernels ($BOOTS boots each)" >&2
    for a in x86_64 aarch64 riscv64; do
        dir=examples/qemu/$a
        if [ ! -f "$dir/Makefile" ]; then
            echo "bench: $dir has no Makefile yet: skipped" >&2
            continue
        fi
        # The kernels pick their cross compiler unless CC comes from the
        # environment, and `make bench` exports the host one.
        if ! env -u CC make -s -C "$dir" kernel.elf >"$B/qemu-$a.build" 2>&1; then
            echo "bench: building $dir/kernel.elf failed (see $B/qemu-$a.build)" >&2
            exit 1
        fi
        for r in $(seq 1 "$BOOTS"); do
            env -u CC make -s -C "$dir" run </dev/null >"$B/qemu-$a.$r.log" 2>&1 || true
            if ! grep -q "^PASS $a: 0 scenario(s) failed" "$B/qemu-$a.$r.log"; then
                echo "bench: $dir/kernel.elf did not pass (see $B/qemu-$a.$r.log)" >&2
                exit 1
            fi
            grep -E '^(TIME|COUNT) ' "$B/qemu-$a.$r.log" | sed "s/^/$r /" >>"$QLOG" || true
        done
    done
fi
if grep -q ' TIME ' "$QLOG"; then
    REPS=$(awk '$2 == "TIME" { for (i = 8; i <= NF; i++) if ($i ~ /^reps=/) { print substr($i, 6); exit } }' "$QLOG")
    md "The kernels in \`examples/qemu/<arch>/\` time, in the same boot, n = 64, 512" \
       "and 4096 consecutive pages of a window of their own (\`common/timing.c\`)" \
       "changed eagerly (no section) and then in one section: **map** (invalid ->" \
       "valid), **remap** (valid -> valid at another frame) and **protect**" \
       "(read-write -> read-only).  The timed code is a release build" \
       "(\`LAZY_MMU_DEBUG=0\`, \`LAZY_MMU_STATS=0\`, \`-O2\`; the scenarios that check" \
       "correctness keep debug + stats); each boot runs every case $REPS" \
       "times, eager and lazy alternating, and prints the medians in its own" \
       "counter's ticks (x86_64 TSC, aarch64 CNTVCT, riscv64 \`time\`; only ratios" \
       "compare across architectures).  Before each timed run every page was" \
       "read (and, before protect, written) so the TLB holds what must be" \
       "invalidated; after it every page is read back and must show the change." \
       "The entries to store are computed before the clock starts, so the timed" \
       "loop is the library's work plus one load per page.  QEMU runs TCG (no" \
       "KVM): an invalidation costs what QEMU's software TLB makes it cost (riscv64" \
       "QEMU flushes its whole TLB on every \`sfence.vma\`), not what silicon does." \
       "Each kernel was booted $BOOTS times; a row shows the boot with the median" \
       "ratio and the range of the ratio over all boots." ""
    md "| arch | operation | n | eager (ticks) | lazy (ticks) | eager / lazy | range over boots |" \
       "| --- | --- | ---: | ---: | ---: | ---: | --- |"
    # Lines: boot TIME arch op n=N eager=E lazy=L ratio_x100=R ...
    awk '$2 == "TIME" {
            k = $3 " " $4 " " substr($5, 3); e = substr($6, 7) + 0; l = substr($7, 6) + 0
            c = ++cnt[k]; rr[k, c] = (l > 0) ? e / l : 0; ee[k, c] = e; ll[k, c] = l
            if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
        }
        END {
            for (i = 1; i <= nk; i++) {
                k = order[i]; c = cnt[k]
                for (j = 1; j <= c; j++) idx[j] = j
                for (j = 2; j <= c; j++) # insertion sort by ratio
                    for (m = j; m > 1 && rr[k, idx[m - 1]] > rr[k, idx[m]]; m--) {
                        t = idx[m]; idx[m] = idx[m - 1]; idx[m - 1] = t
                    }
                med = idx[int((c + 1) / 2)]
                split(k, p, " ")
                printf "| %s | %s | %s | %d | %d | %.2f | %.2f - %.2f |\n", p[1], p[2], p[3],
                       ee[k, med], ll[k, med], rr[k, med], rr[k, idx[1]], rr[k, idx[c]]
            }
        }' "$QLOG" | tee "$B/qemu-time.md" >>"$MD"
    # The same ratios, one row per arch and operation.
    md "" "Eager / lazy at a glance (median boot; range over boots in brackets):" "" \
       "| arch | operation | n = 64 | n = 512 | n = 4096 |" "| --- | --- | ---: | ---: | ---: |"
    awk -F'|' '{ for (i = 2; i <= 8; i++) gsub(/^ +| +$/, "", $i)
                 k = $2 " | " $3; if (!(k in row)) order[++nk] = k
                 row[k] = row[k] " | " $7 " (" $8 ")" }
               END { for (i = 1; i <= nk; i++) printf "| %s%s |\n", order[i], row[order[i]] }' \
        "$B/qemu-time.md" | sed 's/ - /-/g' >>"$MD"
    md "" "Operations the kernels' own counters (\`lazy_mmu_get_stats\`, a debug + stats" \
       "build of the same code) recorded for one run of each case (first boot):" "" \
       "| arch | operation | n | mode | page invalidations | full invalidations | barriers | break-before-make | publishes |" \
       "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
    awk '$1 == 1 && $2 == "COUNT" {
            mode = $6; sub(/:$/, "", mode)
            for (i = 7; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $3, $4, substr($5, 3), mode,
                   v["page_invals"], v["full_invals"], v["barriers"], v["bbm"], v["publishes"]
        }' "$QLOG" >>"$MD"
    # Target: lazy >= 3x faster than eager for 4096 remaps, per arch.
    for a in x86_64 aarch64 riscv64; do
        awk -F'|' -v a="$a" '{ for (i = 2; i <= 8; i++) gsub(/^ +| +$/, "", $i) }
            $2 == a && $3 == "remap" && $4 == "4096" { print $7 "\t" $8 }' "$B/qemu-time.md" |
            while IFS=$'\t' read -r r range; do
                target "QEMU wall time, remap n=4096, eager / lazy (median boot of $BOOTS)" "$a" \
                    "$r (boots: $range)" ">= 3" "$(awk -v r="$r" 'BEGIN { print (r >= 3) ? "meets" : "misses" }')"
            done
    done
    # Plot: eager / lazy vs n, one panel per operation (median boot).
    for a in x86_64 aarch64 riscv64; do
        for op in map remap protect; do
            awk -F'|' -v a="$a" -v o="$op" '{ for (i = 2; i <= 8; i++) gsub(/^ +| +$/, "", $i) }
                $2 == a && $3 == o { print $4 + 0, $7 + 0 }' "$B/qemu-time.md" >"$B/qemu-$a-$op.dat"
        done
    done
    gnuplot <<EOF
set terminal pngcairo size 1200,460 font "sans,10"
set output "$OUT/qemu.png"
set termoption noenhanced
set multiplot layout 1,3 title "QEMU (TCG) wall time, eager / lazy, release build (median of $REPS runs in a boot; median boot of $BOOTS)"
set logscale xy 2
set format y "%g"
set xrange [48:5500]
set yrange [0.5:4096]
set xtics (64, 512, 4096)
set ytics (0.5, 1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512)
set grid
set key top left
set xlabel "n (pages)"
set ylabel "eager time / lazy time"
do for [op in "map remap protect"] {
    set title op
    plot sprintf("$B/qemu-x86_64-%s.dat", op) using 1:2 with linespoints pt 7 lw 2 lc rgb "#1f77b4" title "x86_64", \
         sprintf("$B/qemu-aarch64-%s.dat", op) using 1:2 with linespoints pt 5 lw 2 lc rgb "#d62728" title "aarch64", \
         sprintf("$B/qemu-riscv64-%s.dat", op) using 1:2 with linespoints pt 9 lw 2 lc rgb "#2ca02c" title "riscv64", \
         3 with lines dt 2 lw 2 lc rgb "black" title "target (remap): 3x", \
         1 with lines dt 3 lw 1 lc rgb "gray40" title "parity"
}
unset multiplot
EOF
    md "" "![QEMU eager/lazy wall-time ratio](qemu.png)"
    # The peer strategies, timed in the same boots (examples/qemu/common/
    # peers.c): one table per boot of the first round, ratios within a boot.
    md "" "### lazymmu against the peer strategies, same boot" "" \
       "Each kernel also times the peers of \`bench/peers.h\` on the same pages in" \
       "the same boot, alternating with lazymmu, median of 7 (PEER lines)." \
       "A ratio is taken within one boot; \"same hwops\" marks cells where lazymmu" \
       "and the fastest peer issued the same hardware operations, where only the" \
       "instructions around them differ." ""
    awk -f bench/qemu_peers.awk "$B/qemu-x86_64.1.log" "$B/qemu-aarch64.1.log" \
        "$B/qemu-riscv64.1.log" | sed "s|$B/||" >"$B/qemu-peers.md" || true
    grep -v '^qemu-check' "$B/qemu-peers.md" >>"$MD" || true
    md "" '```'
    grep '^qemu-check' "$B/qemu-peers.md" >>"$MD" || true
    md '```'
else
    md "No kernel printed TIME lines (none built yet?)."
fi

# ---------------------------------------------------------------------------
# 4. lazymmu against peer strategies (simulator)
# ---------------------------------------------------------------------------
echo "bench: lazymmu against peer strategies (simulator)" >&2
PEERS_OBJS=("$B/peers-main.o")
# shellcheck disable=SC2086
$CC $W -O2 -c bench/peers.c -o "$B/peers-main.o"
for be in $BACKENDS; do
    # shellcheck disable=SC2086
    $CC $W -O2 -I. $(column_flags "$be") -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_DEBUG=1 \
        -c bench/peers_backend.c -o "$B/peers-$be.o"
    PEERS_OBJS+=("$B/peers-$be.o")
done
$CC "${PEERS_OBJS[@]}" -o "$B/peers"
# Exits 1 if any strategy's run did not verify: set -e stops the figures.
"$B/peers" "$B/peers.tsv" >"$B/peers.out"
md "" "## 4. lazymmu against peer strategies" ""
md "The same workloads run by lazymmu and by what a kernel developer would write" \
   "instead (\`bench/peers.h\`: eager updates, Linux's mmu_gather, the arm64 and" \
   "riscv64 range flushes, Xen PV mmu_update batches), all over the simulated" \
   "primitives, each run verified; priced by one cost model.  \`make bench-peers\`" \
   "runs this part alone; one TSV row per run: \`$B/peers.tsv\`."
# Its own title goes; its headings move one level down.
sed -e '1d' -e 's/^##/###/' "$B/peers.out" >>"$MD"
# Plot: modelled cost of remapping each page set, lazymmu beside each peer,
# one panel per backend (a strategy that does not apply to a backend has no
# bar).
STRATS="lazymmu|eager|mmu_gather|arm64|riscv|xen"
for be in $BACKENDS; do
    awk -F'\t' -v be="$be" -v strats="$STRATS" '
        BEGIN { ns = split(strats, st, "|") }
        $1 == be && $2 == "remap" {
            if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
            cost[$3, $4] = $15
        }
        END {
            for (i = 1; i <= n; i++) {
                line = "\"" order[i] "\""
                for (k = 1; k <= ns; k++)
                    line = line "\t" (((order[i], st[k]) in cost) ? cost[order[i], st[k]] : "NaN")
                print line
            }
        }' "$B/peers.tsv" >"$B/peers-$be.dat"
done
gnuplot <<EOF
set terminal pngcairo size 1400,900 font "sans,9"
set output "$OUT/peers.png"
set termoption noenhanced
set datafile separator "\t"
set datafile missing "NaN"
set multiplot layout 2,2 title "Modelled cost of remapping each page set (bench/peers.h cost model; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.5:*]
set xtics rotate by -35 scale 0
set grid ytics
set key top left
do for [be in "$BACKENDS"] {
    set title be
    plot sprintf("$B/peers-%s.dat", be) using 2:xtic(1) title "lazymmu" lc rgb "#d62728", \
         '' using 3 title "eager" lc rgb "#7f7f7f", '' using 4 title "mmu_gather" lc rgb "#1f77b4", \
         '' using 5 title "arm64" lc rgb "#2ca02c", '' using 6 title "riscv" lc rgb "#9467bd", \
         '' using 7 title "xen" lc rgb "#8c564b"
}
unset multiplot
EOF
md "" "![Modelled cost of each remap workload, lazymmu beside each peer](peers.png)"

# ---------------------------------------------------------------------------
# 5. Instructions per update against the peers (callgrind): insns_peers above
# ---------------------------------------------------------------------------
insns_peers

# ---------------------------------------------------------------------------
# 7. Every CPU: remote rounds (simulator) and SMP wall time (QEMU)
# ---------------------------------------------------------------------------
echo "bench: remote rounds (simulator) and SMP wall time (QEMU)" >&2
md "" "## 7. Every CPU: remote rounds and SMP wall time" "" \
   "Four CPUs share a simulated window (\`bench/rounds.c\`, alone: \`make bench-rounds\`):" \
   "CPU 0 changes N pages, the three others have every page cached and read on after" \
   "each round, and every run ends with nothing stale on any CPU.  **lazy** is one" \
   "section; **per-op** one section per operation of 8 pages, the way Linux ends each" \
   "munmap/mprotect with a \`flush_tlb_range\`; **eager** no section.  A round is one" \
   "call of \`LAZY_MMU_SHOOTDOWN\`: three IPIs on x86_64, one SBI RFENCE call on" \
   "riscv64 (the range, the span of several within the threshold, or everything);" \
   "aarch64's TLBI ...IS and the paravirt hypervisor need none."
if ! make -s bench-rounds >"$B/rounds.md" 2>"$B/rounds.check"; then
    echo "bench: bench-rounds failed (see $B/rounds.check)" >&2
    exit 1
fi
cat "$B/rounds.md" >>"$MD"
for be in $BACKENDS; do
    got=$(awk -v b="$be" '$1 == "rounds-check" && $2 == b { n++; if ($NF == "meets") m++ } END { printf "%d/%d", m, n }' "$B/rounds.check")
    target "one remote round per section of N <= threshold pages, N eager (cells)" "$be" "$got" "all" \
        "$(echo "$got" | awk -F/ '{ print ($1 == $2 && $2 > 0) ? "meets" : "misses" }')"
done
if [ "${BENCH_SKIP_QEMU:-0}" != 1 ]; then
    : >"$B/smp.log"
    for a in x86_64 aarch64 riscv64; do
        dir=examples/qemu/$a
        env -u CC make -s -C "$dir" kernel-smp.elf >"$B/smp-$a.build" 2>&1 ||
            { echo "bench: building $dir/kernel-smp.elf failed (see $B/smp-$a.build)" >&2; exit 1; }
        for r in $(seq 1 "$BOOTS"); do
            env -u CC make -s -C "$dir" run-smp </dev/null >"$B/smp-$a.$r.log" 2>&1 || true
            grep -q "^PASS smp $a: 0 step(s) failed" "$B/smp-$a.$r.log" ||
                { echo "bench: $dir/kernel-smp.elf did not pass (see $B/smp-$a.$r.log)" >&2; exit 1; }
            grep '^SMPTIME ' "$B/smp-$a.$r.log" >>"$B/smp.log" || true
        done
    done
    md "" "Under QEMU (\`-smp 4\`, TCG, multi-threaded), \`kernel-smp.elf\` times n remaps" \
       "of pages the three other CPUs keep reading, the three ways, $BOOTS boots of 5" \
       "repetitions each; a row is the median over all of them, in the arch's counter" \
       "ticks (debug + stats build, as the checks).  QEMU's IPIs and SBI calls cost what" \
       "TCG makes them cost, not what silicon does." "" \
       "| arch | n | lazy | per-op | eager | per-op / lazy | eager / lazy | rounds lazy/per-op/eager |" \
       "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    awk '{ k = $2 " " substr($4, 3); c = ++cnt[k]
           l[k, c] = substr($5, 6) + 0; p[k, c] = substr($6, 7) + 0; e[k, c] = substr($7, 7) + 0
           rd[k] = substr($8, 8); if (!(k in seen)) { seen[k] = 1; order[++nk] = k } }
         function med(a, k, c,   i, j, t, v) {
             for (i = 1; i <= c; i++) v[i] = a[k, i]
             for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
             return v[int((c + 1) / 2)]
         }
         END { for (i = 1; i <= nk; i++) { k = order[i]; split(k, f, " "); c = cnt[k]
                   L = med(l, k, c); P = med(p, k, c); E = med(e, k, c)
                   printf "| %s | %s | %d | %d | %d | %.1f | %.1f | %s |\n", f[1], f[2], L, P, E, P / L, E / L, rd[k] } }' \
        "$B/smp.log" >>"$MD"
fi

# ---------------------------------------------------------------------------
# 8. Address spaces (simulator)
# ---------------------------------------------------------------------------
echo "bench: address spaces (simulator)" >&2
md "" "## 8. Address spaces: a flush in one space, the entries of another" "" \
   "Four CPUs share a simulated window of two address spaces (\`bench/spaces.c\`, alone:" \
   "\`make bench-spaces\`): A (1024 pages) and B (1024 pages), every page cached on every" \
   "CPU, every CPU running A.  CPU 0 remaps 1, 8, T and T+1 pages of A in one section" \
   "(T: the backend's threshold), its context in \`LAZY_MMU_SPACE_ALL\` (**ALL**) and then" \
   "in A (\`lazy_mmu_set_space\`, **A**); and T+1 in \`LAZY_MMU_SPACE_INACTIVE\` with the" \
   "CPUs running a third space.  Counted by the simulator over all four CPUs (the" \
   "sender's and, in a round, the three receivers' \`lazy_mmu_shootdown_apply\`, riscv64" \
   "included): each invalidation in its all-spaces or its per-space form (x86_64 without" \
   "INVPCID: \`invlpg\` and the CR3 reload act on the current PCID and count as per-space," \
   "the global flush as all-spaces; with INVPCID, \`invlpg\` and the CR3 reload are the" \
   "all-spaces forms, INVPCID types 0 and 1 the per-space ones; paravirt: the hypercall's" \
   "ops, a per-page op counted by its pages); barriers; remote rounds" \
   "(\`LAZY_MMU_STATS\`); and B's entries still cached after the section, of the 4096" \
   "before.  Every run then ends with nothing stale on any CPU and every page reading" \
   "back its entry (INACTIVE: after the kernel's switch to A on each CPU).  An x86" \
   "CR3 reload reaches the current PCID only, so B stays cached even in ALL." ""
if ! make -s bench-spaces >"$B/spaces.md" 2>"$B/spaces.check"; then
    echo "bench: bench-spaces failed (see $B/spaces.check)" >&2
    exit 1
fi
cat "$B/spaces.md" >>"$MD"
# One check per configuration: T+1 remaps in space A, a full flush that
# names A: no all-spaces full flush, every entry of B kept.
grep -q '^spaces-check ' "$B/spaces.check" ||
    { echo "bench: bench-spaces printed no spaces-check line (see $B/spaces.check)" >&2; exit 1; }
while IFS= read -r line; do
    cfg=${line#spaces-check }
    cfg=${cfg%%:*}
    got=${line#*in space A: }
    got=${got%: *}
    target "full flush in one address space (T+1 remaps in A): no all-spaces form, B kept" "$cfg" \
        "$got" "0 all-spaces full flushes, >= 1 per-space, every B entry kept" "${line##*: }"
done < <(grep '^spaces-check ' "$B/spaces.check" | sed 's/ (want [^)]*)//g')

# ---------------------------------------------------------------------------
# 9. The sizes a kernel may set (simulator)
# ---------------------------------------------------------------------------
echo "bench: LAZY_MMU_BATCH_MAX and the threshold on scattered remaps (simulator)" >&2
md "" "## 9. Sizes: scattered remaps against LAZY_MMU_BATCH_MAX and the threshold" "" \
   "One section remaps N pages every 41st of a simulated MMU, all cached, verified after" \
   "(\`bench/sizes.c\`, alone: \`make bench-sizes\`).  The batch keeps BATCH_MAX ranges" \
   "apart; past that the nearest two merge with their 40-page gap, and once the pages" \
   "pending pass the threshold one full flush serves them all.  Where the threshold is" \
   "well above BATCH_MAX (aarch64 511 / 64) that full flush comes from N = 100; with" \
   "\`-DLAZY_MMU_BATCH_MAX=512\` (a 5 KiB context instead of 1 KiB) each page keeps its" \
   "own TLBI up to the threshold.  Cost: per-page + full x threshold." ""
if ! make -s bench-sizes >"$B/sizes.md" 2>"$B/sizes.check"; then
    echo "bench: bench-sizes failed (see $B/sizes.check)" >&2
    exit 1
fi
cat "$B/sizes.md" >>"$MD"
md "" '```' "$(grep '^sizes-check ' "$B/sizes.check")" '```'

# ---------------------------------------------------------------------------
# 6. Targets
# ---------------------------------------------------------------------------
md "" "## 6. Targets" "" "| target | backend | measured | required | verdict |" "| --- | --- | --- | --- | --- |"
awk -F'\t' '{ printf "| %s | %s | %s | %s | **%s** |\n", $1, $2, $3, $4, $5 }' "$TARGETS" >>"$MD"
md "" "$(awk -F'\t' '{ c[$5]++ } END { printf "%d targets met, %d missed.", c["meets"], c["misses"] }' "$TARGETS")"

cp "$MD" "$OUT/README.md"
cat "$MD"
echo "" >&2
echo "bench: wrote $OUT/README.md and $(cd "$OUT" && ls ./*.png | tr '\n' ' ')" >&2
