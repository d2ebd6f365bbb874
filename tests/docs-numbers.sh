#!/bin/sh
# tests/docs-numbers.sh - the numbers README.md and docs/integration.md quote
# from the code are the code's: per backend, the context size of a release
# build at the default sizes, the full-flush threshold, the batch size, and
# paravirt's ops per hypercall; and LAZY_MMU_FREE_MAX.
#
# Each number is read out of the Markdown and handed to the compiler as a
# _Static_assert against the real value, for each backend with its own
# compiler (x86_64 and paravirt: the host's; aarch64 and riscv64: the cross
# compilers, or clang --target when those are missing).  Prints one line per
# backend; exits non-zero on any mismatch or on a sentence it cannot parse.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lazymmu-numbers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
CC=${CC:-cc}
bad=0

# "384 bytes on x86_64, 696 on riscv64, 968 on aarch64 and 1000 on paravirt",
# wrapped anywhere: the file joined into one line first.
sizes() { # file backend
    tr '\n' ' ' <"$1" | sed 's/  */ /g' |
        grep -o '[0-9][0-9]* \(bytes \)\{0,1\}on '"$2" | head -1 | sed 's/ .*//'
}
# The row of README's backend table: "| x86_64 | ... | 33 / 32 |".
row() { # backend field(1: threshold, 2: batch)
    grep "^| $1 |.*| *[0-9][0-9]* */ *[0-9][0-9]* *| *\$" README.md | head -1 |
        sed 's/.*| *\([0-9][0-9]*\) *\/ *\([0-9][0-9]*\) *| *$/\1 \2/' | cut -d' ' -f"$2"
}

compiler_for() {
    case $1 in
    X86_64 | PARAVIRT) echo "$CC" ;;
    AARCH64)
        if command -v aarch64-linux-gnu-gcc >/dev/null; then echo aarch64-linux-gnu-gcc
        else echo "clang --target=aarch64-linux-gnu"; fi ;;
    RISCV64)
        if command -v riscv64-linux-gnu-gcc >/dev/null; then echo riscv64-linux-gnu-gcc
        else echo "clang --target=riscv64-linux-gnu"; fi ;;
    esac
}

free_max=$(grep -o 'at most `LAZY_MMU_FREE_MAX` ([0-9]*)' README.md | grep -o '[0-9][0-9]*')
pv_ops=$(grep '^| paravirt |' README.md | grep -o '(\([0-9]*\) per call)' | grep -o '[0-9][0-9]*')

for be in X86_64 AARCH64 RISCV64 PARAVIRT; do
    name=$(echo "$be" | tr 'A-Z' 'a-z')
    readme=$(sizes README.md "$name")
    guide=$(sizes docs/integration.md "$name")
    thr=$(row "$name" 1)
    batch=$(row "$name" 2)
    for v in "$readme" "$guide" "$thr" "$batch" "$free_max"; do
        case $v in
        '' | *[!0-9]*)
            echo "docs-numbers: $name: a number could not be read (README.md or docs/integration.md changed wording?)"
            bad=1
            continue 2 ;;
        esac
    done
    {
        if [ "$be" = PARAVIRT ]; then # the embedder's hypercall, declared only
            echo 'struct lazy_mmu_paravirt_op;'
            echo '#include <stddef.h>'
            echo 'size_t hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);'
            echo '#define LAZY_MMU_PARAVIRT_COMMIT hypercall'
        fi
        echo '#include "lazymmu.h"'
        echo "_Static_assert(sizeof(struct lazy_mmu) == $readme, \"README.md: $name context is $readme bytes\");"
        echo "_Static_assert(sizeof(struct lazy_mmu) == $guide, \"docs/integration.md: $name context is $guide bytes\");"
        echo "_Static_assert(LAZY_MMU_FLUSH_ALL_THRESHOLD == $thr, \"README.md backend table: $name threshold is $thr\");"
        echo "_Static_assert(LAZY_MMU_BATCH_MAX == $batch, \"README.md backend table: $name batch is $batch\");"
        echo "_Static_assert(LAZY_MMU_FREE_MAX == $free_max, \"README.md API table: LAZY_MMU_FREE_MAX is $free_max\");"
        if [ "$be" = PARAVIRT ]; then
            echo "_Static_assert(LAZY_MMU_PARAVIRT_QUEUE_MAX == ${pv_ops:-0}, \"README.md backend table: paravirt queues ${pv_ops:-?} ops per call\");"
        fi
    } >"$tmp/$name.c"
    # shellcheck disable=SC2046
    if $(compiler_for "$be") -std=c11 -ffreestanding -O2 -Wall -Wextra -Werror -pedantic \
        -DLAZY_MMU_ARCH_"$be"=1 -DLAZY_MMU_DEBUG=0 -DLAZY_MMU_STATS=0 -I"$top" \
        -c "$tmp/$name.c" -o "$tmp/$name.o" 2>"$tmp/$name.err"; then
        echo "docs-numbers: $name: context $readme bytes, threshold $thr, batch $batch: as the code says"
    else
        grep -o 'static assertion failed: .*\|error: .*' "$tmp/$name.err" | sed "s/^/docs-numbers: $name: /"
        bad=1
    fi
done
if [ $bad -ne 0 ]; then
    echo "docs-numbers: FAILED (fix the documents or the code)"
    exit 1
fi
echo "docs-numbers: every number README.md and docs/integration.md quote matches the code"
