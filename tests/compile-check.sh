#!/bin/sh
# tests/compile-check.sh - lazymmu.h alone, compiled every way an embedder may:
# C99/C11/C++ with gcc and clang at -Wall -Wextra -Werror -pedantic, hosted
# (simulator) and freestanding (real instructions) for each architecture with
# the cross compilers, debug and release.  A freestanding object must not
# reference any symbol outside the library (no libc, no runtime), except the
# paravirt embedder's hypercall.
set -eu
cd "$(dirname "$0")/.."
out=build/compile-check
mkdir -p "$out"
W="-Wall -Wextra -Werror -pedantic"
n=0

try() { # description, undefined symbols allowed (regex or ""), compiler and flags...
    desc=$1 allowed=$2
    shift 2
    obj="$out/$n.o"
    if ! "$@" -I. -c tests/compile/use.c -o "$obj" 2>"$out/err"; then
        echo "compile-check FAILED: $desc"
        echo "  $*"
        cat "$out/err"
        exit 1
    fi
    case "$*" in *-ffreestanding*)
        und=$(nm -u "$obj" | awk '{print $2}' | grep -v -E "^(${allowed:-\$^})\$" || true)
        if [ -n "$und" ]; then
            echo "compile-check FAILED: $desc references outside symbols: $und"
            exit 1
        fi
    esac
    echo "ok  $desc"
    n=$((n + 1))
}

have() { command -v "$1" >/dev/null 2>&1; }

# Hosted, every backend under the simulator, every language mode.
for be in X86_64 AARCH64 RISCV64 PARAVIRT; do
    for dbg in 0 1; do
        D="-DLAZY_MMU_ARCH_$be -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_STATS=1 -DLAZY_MMU_DEBUG=$dbg"
        try "gcc c11 sim $be debug=$dbg" "" gcc -std=c11 $W -O2 $D
        try "g++ c++11 sim $be smp debug=$dbg" "" g++ -x c++ -std=c++11 $W -O2 $D -DUSE_SMP
        try "gcc c99 sim $be debug=$dbg" "" gcc -std=c99 $W -O2 $D
        try "g++ c++11 sim $be debug=$dbg" "" g++ -x c++ -std=c++11 $W -O2 $D
        if have clang; then
            try "clang c11 sim $be debug=$dbg" "" clang -std=c11 $W -O2 $D
            try "clang++ c++11 sim $be debug=$dbg" "" clang++ -x c++ -std=c++11 $W -O2 $D
        fi
    done
done

# Hosted, the stage 2 / EPT mode of the two backends that have one.
for be in X86_64 AARCH64; do
    for dbg in 0 1; do
        D="-DLAZY_MMU_ARCH_$be -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_STATS=1 -DLAZY_MMU_DEBUG=$dbg"
        try "gcc c11 sim $be stage2 debug=$dbg" "" gcc -std=c11 $W -O2 $D
        try "gcc c99 sim $be stage2 debug=$dbg" "" gcc -std=c99 $W -O2 $D
        try "g++ c++11 sim $be stage2 debug=$dbg" "" g++ -x c++ -std=c++11 $W -O2 $D
        if have clang; then
            try "clang c11 sim $be stage2 debug=$dbg" "" clang -std=c11 $W -O2 $D
            try "clang++ c++11 sim $be stage2 debug=$dbg" "" clang++ -x c++ -std=c++11 $W -O2 $D
        fi
    done
done

# Freestanding with the real instructions: one list per architecture of
# (compiler command, extra backend variants).
FS="-ffreestanding -nostdlib -O2 -std=c11 $W"
freestanding() { # arch-name, compiler command...
    name=$1
    shift
    for stats in 0 1; do
        for dbg in 0 1; do
            try "$name native auto-detected stats=$stats debug=$dbg" "" "$@" $FS -DLAZY_MMU_STATS=$stats -DLAZY_MMU_DEBUG=$dbg
        done
    done
    try "$name smp hooks" "embedder_shootdown|embedder_free" "$@" $FS -DUSE_SMP -DLAZY_MMU_DEBUG=1
    try "$name panic(char *)" "kernel_panic|embedder_shootdown|embedder_free" "$@" $FS -DUSE_CHAR_PANIC \
        -DUSE_SMP -DLAZY_MMU_DEBUG=1
    try "$name paravirt" "embedder_hypercall" "$@" $FS -DLAZY_MMU_ARCH_PARAVIRT=1
    try "$name paravirt debug" "embedder_hypercall" "$@" $FS -DLAZY_MMU_ARCH_PARAVIRT=1 -DLAZY_MMU_DEBUG=1
    # A cross gcc without its g++ package has no C++ front end; the host's
    # and clang's C++ runs cover the language.
    if echo 'int x;' | "$@" -x c++ -fsyntax-only - >/dev/null 2>&1; then
        try "$name c++ freestanding" "" "$@" -x c++ -std=c++11 -ffreestanding -nostdlib -O2 $W -fno-exceptions
    fi
}
# A hypervisor's stage 2 / EPT context (x86_64 and aarch64 only).
stage2() { # arch-name, compiler command...
    name=$1
    shift
    for stats in 0 1; do
        for dbg in 0 1; do
            try "$name stage2 stats=$stats debug=$dbg" "" "$@" $FS -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_STATS=$stats -DLAZY_MMU_DEBUG=$dbg
        done
    done
}

freestanding "x86_64 gcc" gcc -mno-red-zone
try "x86_64 gcc global pages" "" gcc $FS -DLAZY_MMU_X86_64_GLOBAL_PAGES=1
try "x86_64 gcc invpcid" "" gcc $FS -DLAZY_MMU_X86_64_INVPCID=1
try "x86_64 gcc pkru" "" gcc $FS -DLAZY_MMU_X86_64_PKRU=1 -DLAZY_MMU_X86_64_PKRU_KEY=3
try "x86_64 g++ pkru" "" g++ -x c++ -std=c++11 -ffreestanding -nostdlib -O2 $W -fno-exceptions -DLAZY_MMU_X86_64_PKRU=1
for dbg in 0 1; do
    try "x86_64 gcc invlpgb smp debug=$dbg" "embedder_shootdown|embedder_free" gcc -mno-red-zone $FS \
        -DLAZY_MMU_X86_64_INVLPGB=1 -DUSE_SMP -DLAZY_MMU_STATS=1 -DLAZY_MMU_DEBUG=$dbg
done
try "x86_64 gcc invlpgb global pages pkru 2M pages" "" gcc -mno-red-zone $FS -DLAZY_MMU_X86_64_INVLPGB=1 \
    -DLAZY_MMU_X86_64_GLOBAL_PAGES=1 -DLAZY_MMU_X86_64_PKRU=1 -DLAZY_MMU_PAGE_SHIFT=21
try "x86_64 g++ invlpgb" "" g++ -x c++ -std=c++11 -ffreestanding -nostdlib -O2 $W -fno-exceptions -DLAZY_MMU_X86_64_INVLPGB=1
try "gcc c99 sim X86_64 invlpgb smp" "" gcc -std=c99 $W -O2 -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_SIMULATE=1 \
    -DLAZY_MMU_X86_64_INVLPGB=1 -DUSE_SMP -DLAZY_MMU_STATS=1
try "g++ c++11 sim X86_64 invlpgb" "" g++ -x c++ -std=c++11 $W -O2 -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_SIMULATE=1 \
    -DLAZY_MMU_X86_64_INVLPGB=1
stage2 "x86_64 gcc" gcc -mno-red-zone
try "x86_64 gcc ept all-context" "" gcc -mno-red-zone $FS -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_X86_64_EPT_ALL_CONTEXT=1
try "x86_64 gcc ept pkru" "" gcc -mno-red-zone $FS -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_X86_64_PKRU=1
try "x86_64 g++ ept" "" g++ -x c++ -std=c++11 -ffreestanding -nostdlib -O2 $W -fno-exceptions -DLAZY_MMU_STAGE2=1
if have aarch64-linux-gnu-gcc; then
    freestanding "aarch64 gcc" aarch64-linux-gnu-gcc -mgeneral-regs-only
    try "aarch64 gcc non-shareable smp" "embedder_shootdown|embedder_free" aarch64-linux-gnu-gcc \
        -mgeneral-regs-only $FS -DLAZY_MMU_AARCH64_NONSHAREABLE=1 -DUSE_SMP
    stage2 "aarch64 gcc" aarch64-linux-gnu-gcc -mgeneral-regs-only
    try "aarch64 gcc tlbirange" "" aarch64-linux-gnu-gcc -mgeneral-regs-only $FS -DLAZY_MMU_AARCH64_TLBIRANGE=1
fi
RV="-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany"
if have riscv64-linux-gnu-gcc; then
    freestanding "riscv64 gcc" riscv64-linux-gnu-gcc $RV
    try "riscv64 gcc svinval" "" riscv64-linux-gnu-gcc $RV $FS -DLAZY_MMU_RISCV64_SVINVAL=1
    try "riscv64 gcc svvptc" "" riscv64-linux-gnu-gcc $RV $FS -DLAZY_MMU_RISCV64_SVVPTC=1
fi
if have clang; then
    freestanding "x86_64 clang" clang --target=x86_64-unknown-none -mno-red-zone
    freestanding "aarch64 clang" clang --target=aarch64-none-elf -mgeneral-regs-only
    stage2 "x86_64 clang" clang --target=x86_64-unknown-none -mno-red-zone
    try "x86_64 clang invlpgb smp" "embedder_shootdown|embedder_free" clang --target=x86_64-unknown-none \
        -mno-red-zone $FS -DLAZY_MMU_X86_64_INVLPGB=1 -DUSE_SMP
    stage2 "aarch64 clang" clang --target=aarch64-none-elf -mgeneral-regs-only
    freestanding "riscv64 clang" clang --target=riscv64-unknown-elf -march=rv64imac -mcmodel=medany
    try "riscv64 clang svinval" "" clang --target=riscv64-unknown-elf -march=rv64imac -mcmodel=medany $FS -DLAZY_MMU_RISCV64_SVINVAL=1
fi

# What must not compile, must not, and must say why.
expect_error() { # description, message fragment, compiler and flags...
    desc=$1 frag=$2
    shift 2
    if "$@" -I. -c tests/compile/use.c -o "$out/bad.o" 2>"$out/err"; then
        echo "compile-check FAILED: $desc compiled"
        exit 1
    fi
    grep -q "$frag" "$out/err" || { echo "compile-check FAILED: $desc: no '$frag' in:"; cat "$out/err"; exit 1; }
    echo "ok  $desc is rejected"
    n=$((n + 1))
}
expect_error "an unsupported target" "no backend for this target" gcc $FS -U__x86_64__
expect_error "two backends" "exactly one" gcc $FS -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_ARCH_RISCV64
expect_error "stage 2 on a backend without it" "LAZY_MMU_STAGE2 is offered" gcc $FS -DLAZY_MMU_ARCH_RISCV64 -DLAZY_MMU_STAGE2=1
expect_error "paravirt without a hypercall" "define LAZY_MMU_PARAVIRT_COMMIT" gcc $FS -DLAZY_MMU_ARCH_PARAVIRT -DLAZY_MMU_SIMULATE=0
expect_error "EPT with global pages" "GLOBAL_PAGES does not apply to EPT" gcc $FS -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_X86_64_GLOBAL_PAGES=1
expect_error "EPT with INVPCID" "INVPCID does not apply to EPT" gcc $FS -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_X86_64_INVPCID=1
expect_error "INVLPGB with EPT" "INVLPGB does not apply to EPT" gcc $FS -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_X86_64_INVLPGB=1
expect_error "INVLPGB with INVPCID" "INVLPGB and LAZY_MMU_X86_64_INVPCID both choose" gcc $FS -DLAZY_MMU_X86_64_INVLPGB=1 -DLAZY_MMU_X86_64_INVPCID=1
expect_error "INVLPGB with 16 KiB pages" "LAZY_MMU_PAGE_SHIFT must be 12 or 21" gcc $FS -DLAZY_MMU_X86_64_INVLPGB=1 -DLAZY_MMU_PAGE_SHIFT=14
expect_error "non-shareable stage 2" "NONSHAREABLE is for stage 1" gcc $FS -DLAZY_MMU_ARCH_AARCH64 -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_STAGE2=1 -DLAZY_MMU_AARCH64_NONSHAREABLE=1
expect_error "a free queue of no frames" "LAZY_MMU_FREE_MAX must be at least 1" gcc $FS -DLAZY_MMU_FREE_MAX=0
expect_error "a 0.1 spelling of an x86_64 macro" "LAZY_MMU_X86_<X> is now spelt LAZY_MMU_X86_64_<X>" gcc $FS -DLAZY_MMU_X86_PKRU=1
expect_error "a 0.1 spelling of a riscv64 macro" "LAZY_MMU_RISCV_<X> is now spelt LAZY_MMU_RISCV64_<X>" gcc $FS -DLAZY_MMU_ARCH_RISCV64 -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_RISCV_SVINVAL=1
expect_error "a 0.1 spelling of a paravirt macro" "LAZY_MMU_PV_<X> is now spelt LAZY_MMU_PARAVIRT_<X>" gcc $FS -DLAZY_MMU_ARCH_PARAVIRT -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_PV_QUEUE_MAX=8

# The CONFIGURATION table at the top of lazymmu.h lists exactly the public
# macros the library proper reads in its #if / #ifdef / #ifndef lines
# (continuations joined; include guards and arch/sim's own table aside).
lib="lazymmu.h arch/select.h arch/generic/*.h arch/*/types.h arch/*/insn.h arch/*/policy.h"
# shellcheck disable=SC2086
awk '{ while (sub(/\\$/, "")) { line = $0; if ((getline nxt) <= 0) break; $0 = line nxt } print }' $lib |
    grep -E '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)' | grep -oE 'LAZY_MMU_[A-Z0-9][A-Z0-9_]*' |
    grep -vE '_H$' | sort -u >"$out/read.txt"
awk '/^ \* CONFIGURATION/, /^ \*\/$/' lazymmu.h | grep -oE '^ \*   LAZY_MMU_[A-Z0-9_]*' |
    sed 's/^ \*   //' | sort -u >"$out/table.txt"
if ! cmp -s "$out/read.txt" "$out/table.txt"; then
    echo "compile-check FAILED: lazymmu.h's CONFIGURATION table and the macros the code reads differ"
    comm -13 "$out/table.txt" "$out/read.txt" | sed 's/^/  read, not in the table: /'
    comm -23 "$out/table.txt" "$out/read.txt" | sed 's/^/  in the table, never read: /'
    exit 1
fi
echo "ok  the CONFIGURATION table lists the $(wc -l <"$out/table.txt") macros the code reads"
n=$((n + 1))

echo "compile-check: $n configurations ok"
