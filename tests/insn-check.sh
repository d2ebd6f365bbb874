#!/bin/sh
# tests/insn-check.sh - the instruction layer, checked in the disassembly.
#
# The tests swap arch/<arch>/insn.h for the simulator, and the QEMU kernels
# run the real wrappers but cannot see a wrong operand that happens to work
# (an INVLPG of the wrong page is only a slower TLB), a CR4 write that
# changes nothing, a wrong INVPCID/INVEPT type, an unmasked TLBI operand
# (harmless until FEAT_TTL), or an Svinval word for the wrong fence (QEMU
# treats them alike).  This script compiles tests/insn/prims.c - one
# out-of-line function per primitive of the backend's insn.h, and one per
# policy hook, with lazymmu.h and the real policy, freestanding -O2 - for
# every architecture, compiler and configuration that changes instructions,
# disassembles it with the target's objdump, follows each function's data
# flow (tests/insn/eval.awk) and checks the instructions, their operands and
# their immediates.  Then it compiles tests/compile/use.c (every entry point)
# the same way and checks that every privileged instruction in it is one the
# primitive checks saw, and that every primitive insn.h defines is checked.
#
#   tests/insn-check.sh            the checks (part of `make test`)
#   tests/insn-check.sh --planted  plants six known bugs, one at a time, in a
#                                  scratch copy of lazymmu.h + arch/, and
#                                  asserts the check named for each goes red
#
# Environment: LAZYMMU_ROOT (the directory holding lazymmu.h and arch/; the
# repository by default), INSN_CHECK_ARCHES (default "x86_64 aarch64
# riscv64"), INSN_CHECK_OUT (scratch directory).  A missing cross compiler is
# a SKIP line, not a failure; .ci/run installs them all.
set -u
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${LAZYMMU_ROOT:-$repo}
out=${INSN_CHECK_OUT:-$repo/build/insn-check}
arches=${INSN_CHECK_ARCHES:-x86_64 aarch64 riscv64}
EVAL=$repo/tests/insn/eval.awk
PRIMS=$repo/tests/insn/prims.c
USE=$repo/tests/compile/use.c

# ---------------------------------------------------------------------------
# --planted: each bug, with sed, on a scratch copy; the named check must fail.
if [ "${1:-}" = "--planted" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/insn-planted.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT INT TERM
    bad=0
    plant() { # number, arch, check expected to go red, file, sed expression, what
        n=$1 parch=$2 want=$3 file=$4 expr=$5 what=$6
        rm -rf "$tmp/root" "$tmp/out"
        mkdir -p "$tmp/root"
        cp -R "$repo/lazymmu.h" "$repo/arch" "$tmp/root/"
        sed "$expr" "$repo/$file" >"$tmp/root/$file"
        if cmp -s "$repo/$file" "$tmp/root/$file"; then
            echo "planted $n: NOT APPLIED - the sed expression matches nothing in $file ($what)"
            bad=$((bad + 1))
            return
        fi
        LAZYMMU_ROOT="$tmp/root" INSN_CHECK_OUT="$tmp/out" INSN_CHECK_ARCHES="$parch" \
            sh "$repo/tests/insn-check.sh" >"$tmp/log" 2>&1
        rc=$?
        red=$(sed -n 's/^FAIL \[\([^]]*\)\].*/\1/p' "$tmp/log" | sort -u | tr '\n' ' ')
        if [ $rc -eq 0 ] && grep -q '^SKIP' "$tmp/log" && ! grep -q '^ok ' "$tmp/log"; then
            echo "planted $n: SKIP ($parch compilers missing): $what"
        elif [ $rc -eq 0 ]; then
            echo "planted $n: NOT CAUGHT - every check passed: $what"
            bad=$((bad + 1))
        else
            case " $red" in
            *" $want "*)
                echo "planted $n: caught by [$want]: $what"
                echo "    red checks: $red"
                grep -m 1 "^FAIL \[$want\]" "$tmp/log" | sed 's/^/    first: /'
                ;;
            *)
                echo "planted $n: red, but not [$want] (red: $red): $what"
                sed 's/^/    /' "$tmp/log" | head -40
                bad=$((bad + 1))
                ;;
            esac
        fi
    }
    plant 1 x86_64 x86_64.invlpg-operand arch/x86_64/insn.h \
        's/"invlpg (%0)" : : "r"(va)/"invlpg (%0)" : : "r"(\&va)/' \
        'x86 INVLPG given the address of the variable holding the VA ("r"(&va))'
    plant 2 x86_64 x86_64.cr4-pge-toggle arch/x86_64/insn.h \
        's/"r"(cr4 & ~((uint64_t)1 << 7))/"r"(cr4)/' \
        'x86 global flush writes CR4 unchanged (PGE never cleared)'
    plant 3 x86_64 x86_64.invpcid-type arch/x86_64/insn.h \
        's/lazy_mmu__x86_64_invpcid(m, 2, 0, 0)/lazy_mmu__x86_64_invpcid(m, 1, 0, 0)/' \
        'x86 INVPCID type 1 (single-context) instead of 2 (all contexts, globals included)'
    plant 4 aarch64 aarch64.tlbi-operand arch/aarch64/insn.h \
        's/"r"(((uint64_t)va >> 12) & LAZY_MMU__AARCH64_TLBI_VA_MASK)/"r"((uint64_t)va >> 12)/' \
        'aarch64 TLBI VAAE1IS operand VA >> 12 not masked to VA[55:12] (TTL/RES0 bits set)'
    plant 5 riscv64 riscv64.insn-words arch/riscv64/insn.h \
        's/".insn r 0x73, 0, 0x0c, x0, x0, x1"/".insn r 0x73, 0, 0x0c, x0, x0, x0"/' \
        'riscv SFENCE.INVAL.IR encoded as SFENCE.W.INVAL (rs2 = 0)'
    plant 6 aarch64 aarch64.tlbi-operand arch/aarch64/insn.h \
        's/((uint64_t)asid << LAZY_MMU__AARCH64_TLBI_ASID_SHIFT))$/((uint64_t)asid << 32))/' \
        'aarch64 TLBI VAE1IS with the ASID in bits [47:32] instead of [63:48]'
    if [ $bad -ne 0 ]; then
        echo "insn-check --planted: $bad planted bug(s) not caught"
        exit 1
    fi
    echo "insn-check --planted: every planted bug caught by its check"
    exit 0
fi

mkdir -p "$out"
have() { command -v "$1" >/dev/null 2>&1; }
nchecks=0
nfail=0
nbuilds=0

# ---------------------------------------------------------------------------
# Checks on the events of one build ($EV: function TAB kind TAB event).
events() { # function [kind ERE]
    awk -F'\t' -v f="$1" -v k="${2:-.}" '$1 == f && $2 ~ k { print $3 }' "$EV"
}
fail() { # check, function, what was wanted
    nfail=$((nfail + 1))
    echo "FAIL [$1] $ctx: $2: $3"
    if grep -q "^[0-9a-f]* <$2>:\$" "$DIS"; then
        echo "    events of $2:"
        events "$2" | sed 's/^/      /'
        echo "    disassembly:"
        awk -v h="<$2>:" '$2 == h { p = 1; next } /^[0-9a-f]+ </ { p = 0 } p && NF' "$DIS" | sed 's/^/      /'
    else
        echo "    ($2 is not in the object)"
    fi
}
checked() { CHECKED="$CHECKED $1 "; nchecks=$((nchecks + 1)); }
# The events of the given kinds are exactly these, in this order ("ordered")
# or in any order ("sorted").
are() { # check, function, kind ERE, ordered|sorted, event...
    c=$1 f=$2 k=$3 mode=$4
    shift 4
    checked "$f"
    got=$(events "$f" "$k")
    want=""
    for e in "$@"; do want="$want$e
"; done
    want=$(printf '%s' "$want")
    if [ "$mode" = sorted ]; then
        got=$(printf '%s\n' "$got" | sort)
        want=$(printf '%s\n' "$want" | sort)
    fi
    if [ "$got" != "$want" ]; then
        w=$(printf '%s\n' "$want" | awk 'NF' | paste -sd ';' -)
        g=$(printf '%s\n' "$got" | awk 'NF' | paste -sd ';' -)
        of=""
        [ "$k" = . ] || of=" of kind /$k/"
        fail "$c" "$f" "wanted${of}: ${w:-nothing}; got: ${g:-nothing}"
    fi
}
# Every event of the kinds matches the ERE, and there is one.
each() { # check, function, kind ERE, ERE
    checked "$2"
    if [ -z "$(events "$2" "$3")" ] || events "$2" "$3" | grep -Evxq -- "$4"; then
        fail "$1" "$2" "wanted every /$3/ event (at least one) to match /$4/; got: $(events "$2" "$3" | paste -sd ';' -)"
    fi
}
# Some event matches the ERE.
has() { # check, function, ERE
    checked "$2"
    events "$2" | grep -Eq -- "$3" ||
        fail "$1" "$2" "wanted an event matching /$3/; got: $(events "$2" | paste -sd ';' -)"
}
# No event of any function matches the ERE.
nowhere() { # check, ERE (on "kind")
    nchecks=$((nchecks + 1))
    hit=$(awk -F'\t' -v k="$2" '$2 ~ k { print $1 ": " $3 }' "$EV")
    if [ -n "$hit" ]; then
        nfail=$((nfail + 1))
        echo "FAIL [$1] $ctx: no instruction may match /$2/, found:"
        printf '%s\n' "$hit" | sed 's/^/      /'
    fi
}

# ---------------------------------------------------------------------------
# One build: compile prims.c and use.c, disassemble, evaluate, run $arch's checks.
build() { # arch, compiler label, config label, objdump, compiler and flags... -- defines...
    arch=$1 cc=$2 cfg=$3 od=$4
    shift 4
    ctx="$arch $cc $cfg"
    dir="$out/$arch-$cc-$cfg"
    mkdir -p "$dir"
    nbuilds=$((nbuilds + 1))
    CHECKED=""
    base="-std=c11 -ffreestanding -nostdlib ${INSN_CHECK_OPT:--O2} -Wall -Wextra -pedantic -Werror=implicit-function-declaration"
    if ! "$@" $base -I"$root" -c "$PRIMS" -o "$dir/prims.o" 2>"$dir/prims.err"; then
        nfail=$((nfail + 1))
        echo "FAIL [compile] $ctx: tests/insn/prims.c does not compile:"
        sed 's/^/    /' "$dir/prims.err" | head -30
        return
    fi
    if ! "$@" $base -DUSE_SMP -I"$root" -c "$USE" -o "$dir/use.o" 2>"$dir/use.err"; then
        nfail=$((nfail + 1))
        echo "FAIL [compile] $ctx: tests/compile/use.c does not compile:"
        sed 's/^/    /' "$dir/use.err" | head -30
        return
    fi
    raw=--no-show-raw-insn
    [ "$arch" = riscv64 ] && raw= # the words are what the riscv checks read
    "$od" -d $raw "$dir/prims.o" >"$dir/prims.dis" && "$od" -d $raw "$dir/use.o" >"$dir/use.dis" || {
        nfail=$((nfail + 1))
        echo "FAIL [objdump] $ctx: $od failed"
        return
    }
    awk -v arch="$arch" -f "$EVAL" "$dir/prims.dis" >"$dir/prims.ev"
    awk -v arch="$arch" -f "$EVAL" "$dir/use.dis" >"$dir/use.ev"
    EV=$dir/prims.ev DIS=$dir/prims.dis
    before=$nfail
    n0=$nchecks
    "check_$arch"
    library
    every_function_checked
    sed -n 's/^[0-9a-f]* <\(t_[^>.]*\)>:$/\1/p' "$DIS" >>"$out/$arch.prims"
    [ $nfail -eq $before ] && echo "ok   $ctx: $((nchecks - n0)) checks"
}

# Every privileged instruction of the whole library (use.c, every entry
# point) is one the primitive checks saw: no instruction reaches the
# library except through a checked wrapper.
library() {
    nchecks=$((nchecks + 1))
    skip='^(store|call|ud2|brk|udf|unimp|ebreak|popf|mov-from-cr[0-9])$'
    awk -F'\t' '$1 ~ /^t_/ { print $2 }' "$EV" | sort -u >"$dir/prims.kinds"
    extra=$(awk -F'\t' -v s="$skip" '$2 !~ s { print $2 }' "$dir/use.ev" | sort -u | comm -23 - "$dir/prims.kinds")
    if [ -n "$extra" ]; then
        nfail=$((nfail + 1))
        echo "FAIL [library] $ctx: tests/compile/use.c has instructions no primitive check covers: $(echo $extra)"
        awk -F'\t' -v s="$skip" '$2 !~ s' "$dir/use.ev" | sed 's/^/      /'
    fi
}

# Every t_/p_ function compiled has at least one check.
every_function_checked() {
    for f in $(sed -n 's/^[0-9a-f]* <\([tp]_[^>.]*\)>:$/\1/p' "$DIS"); do
        case "$CHECKED" in
        *" $f "*) ;;
        *)
            nfail=$((nfail + 1))
            echo "FAIL [coverage] $ctx: $f is compiled but nothing checks it (add its checks to tests/insn-check.sh)"
            ;;
        esac
    done
}

# Every primitive of the architecture's insn.h has a t_ function (in some
# configuration).
insn_coverage() { # arch
    nchecks=$((nchecks + 1))
    for p in $(sed -n 's/^static inline [^(]*[ *]\(lazy_mmu__[A-Za-z0-9_]*\)(.*/\1/p' "$root/arch/$1/insn.h"); do
        t=t_$(echo "$p" | sed 's/^lazy_mmu__//; s/^\(x86_64\|aarch64\|riscv64\|hw\)_//')
        if ! grep -qx "$t" "$out/$1.prims" 2>/dev/null; then
            nfail=$((nfail + 1))
            echo "FAIL [coverage] $1: arch/$1/insn.h defines $p, and tests/insn/prims.c has no $t (nor checks for it)"
        fi
    done
}

# ---------------------------------------------------------------------------
# x86_64.  Arguments: rdi rsi rdx rcx r8 r9 = arg0..arg5 (m is arg0).
check_x86_64() {
    are x86_64.store-pte t_store_pte . ordered "store64 [arg1] <- arg2"
    # INVLPG's memory operand is the VA itself, register-indirect from the
    # argument register: not a stack slot holding it.
    are x86_64.invlpg-operand t_invlpg . ordered "invlpg [arg1]"
    are x86_64.cr3-reload t_flush_nonglobal . ordered "mov-from-cr3" "mov-to-cr3 cr3"
    if [ "$cfg" = invpcid ]; then
        # The type and the descriptor {PCID, address} from the arguments.
        are x86_64.invpcid-operands t_invpcid . ordered "invpcid type=arg1 desc=arg2,arg3"
        has x86_64.invpcid-type t_flush_all '^invpcid type=imm:0x2 '
        has x86_64.invpcid-desc t_flush_all '^invpcid .* desc=imm:0x0,imm:0x0$'
        are x86_64.invpcid-type t_flush_all '^(invpcid|mov-to-cr[0-9])$' ordered \
            "invpcid type=imm:0x2 desc=imm:0x0,imm:0x0"
    else
        # Two CR4 writes: PGE (bit 7) cleared, then CR4 as read; nothing else.
        has x86_64.cr4-pge-toggle t_flush_all '^mov-from-cr4$'
        are x86_64.cr4-pge-toggle t_flush_all '^mov-to-cr4$' sorted "mov-to-cr4 cr4&~{7}" "mov-to-cr4 cr4"
        are x86_64.cr3-reload t_flush_all '^mov-to-cr3$' ordered "mov-to-cr3 cr3"
        # Interrupts masked across the read-modify-write, IF restored as saved.
        are x86_64.irq-mask t_flush_all '^(cli|sti)$' ordered "cli"
        each x86_64.irq-mask t_flush_all '^popf$' 'popf <- rflags' 
    fi
    are x86_64.pkru-regs t_rdpkru . ordered "rdpkru ecx=imm:0x0"
    are x86_64.pkru-regs t_wrpkru . ordered "wrpkru eax=arg1 ecx=imm:0x0 edx=imm:0x0"
    if [ "$cfg" = ept ]; then
        # The type from its argument, the descriptor {EPTP, 0} in memory.
        are x86_64.invept-operands t_invept '^invept$' ordered "invept type=arg1 desc=arg2,imm:0x0"
        # The policy's types: 1 (single-context) for a set EPTP, 2 (all) before.
        has x86_64.invept-type p_invept_single '^invept type=imm:0x1 '
        has x86_64.invept-type p_invept_all '^invept type=imm:0x2 '
        are x86_64.invept-desc p_invept_single '^invept$' ordered "invept type=imm:0x1 desc=imm:0x12345000,imm:0x0"
        are x86_64.invept-desc p_invept_all '^invept$' ordered "invept type=imm:0x2 desc=imm:0x0,imm:0x0"
        has policy p_inval_all '^invept '
        has policy p_inval_all_global '^invept '
    fi
    if [ "$cfg" = invlpgb ]; then
        are x86_64.invlpgb-regs t_invlpgb . ordered "invlpgb rax=arg1 ecx=arg2 edx=arg3"
        are x86_64.invlpgb-regs t_tlbsync . ordered "tlbsync"
        are x86_64.invlpgb-regs t_mfence . ordered "mfence"
        are x86_64.cpuid-leaves t_invlpgb_max '^cpuid$' ordered \
            "cpuid eax=imm:0x80000000 ecx=imm:0x0" "cpuid eax=imm:0x80000008 ecx=imm:0x0"
        has policy p_inval_page '^invlpgb rax=arg1[|][{]0[,}]'
        # One PCID's (rAX[1], EDX[27:16]), global entries kept (no rAX[3]).
        has policy p_inval_page_space '^invlpgb rax=arg1[|][{]0-2[}] .*edx=imm:0x2a0000$'
        are policy p_inval_all_space '^invlpgb$' ordered "invlpgb rax=imm:0x6 ecx=imm:0x0 edx=imm:0x2a0000"
        are policy p_inval_page '^(invlpg|mov-to-cr[0-9]|invpcid)$' ordered
        has policy p_inval_all '^invlpgb '
        has policy p_inval_all_global '^invlpgb '
        are policy p_inval_begin . ordered "mfence"
        are policy p_inval_begin_all . ordered "mfence"
        are policy p_inval_end . ordered "tlbsync"
        are policy p_inval_end_all . ordered "tlbsync"
    elif [ "$cfg" != ept ]; then
        are policy p_inval_page . ordered "invlpg [arg1]"
        glob_pge() { are policy "$1" '^(mov-to-cr4|invpcid)$' sorted "mov-to-cr4 cr4&~{7}" "mov-to-cr4 cr4"; }
        glob_pcid() { are policy "$1" '^(mov-to-cr4|invpcid)$' ordered "invpcid type=imm:0x2 desc=imm:0x0,imm:0x0"; }
        global_flush=glob_pge
        [ "$cfg" = invpcid ] && global_flush=glob_pcid
        # A named PCID: INVPCID type 0 / 1 where there is INVPCID, else the
        # current PCID's INVLPG / CR3 reload - never a global flush.
        if [ "$cfg" = invpcid ]; then
            are policy p_inval_page_space . ordered "invpcid type=imm:0x0 desc=imm:0x2a,arg1"
            are policy p_inval_all_space '^(mov-to-cr[0-9]|invpcid|invlpg)$' ordered \
                "invpcid type=imm:0x1 desc=imm:0x2a,imm:0x0"
        else
            are policy p_inval_page_space . ordered "invlpg [arg1]"
            are policy p_inval_all_space '^(mov-to-cr[0-9]|invpcid)$' ordered "mov-to-cr3 cr3"
        fi
        $global_flush p_inval_all_global
        if [ "$cfg" = global ]; then
            $global_flush p_inval_all # LAZY_MMU_X86_64_GLOBAL_PAGES: every full flush is global
        else
            are policy p_inval_all '^(mov-to-cr[0-9]|invpcid)$' ordered "mov-to-cr3 cr3"
        fi
    fi
}

# aarch64.  Arguments x0..x7 = arg0..arg7.
check_aarch64() {
    D=ish I=is
    [ "$cfg" = nsh ] && D=nsh I=
    are aarch64.barrier-domain t_dsb_ishst . ordered "dsb ${D}st"
    are aarch64.barrier-domain t_dsb_ish . ordered "dsb $D"
    are a64.isb t_isb . ordered "isb"
    are aarch64.store-pte t_store_pte . ordered "store64 [arg1+0] <- arg2"
    # The TLBI operand: VA[55:12] in bits [43:0] - the argument shifted by 12
    # and masked to 44 bits (TTL [47:44] and RES0 [63:48] clear).
    has aarch64.tlbi-op t_tlbi_va "^tlbi vaae1$I( |\$)"
    are aarch64.tlbi-operand t_tlbi_va . ordered "tlbi vaae1$I <- arg1[55:12]"
    are aarch64.tlbi-op t_tlbi_all . ordered "tlbi vmalle1$I"
    # One ASID's forms: the ASID in bits [63:48], beside VA[55:12].
    has aarch64.tlbi-op t_tlbi_va_asid "^tlbi vae1$I( |\$)"
    are aarch64.tlbi-operand t_tlbi_va_asid . ordered "tlbi vae1$I <- arg1[55:12]|arg2[15:0]<<48"
    are aarch64.tlbi-operand t_tlbi_asid . ordered "tlbi aside1$I <- arg1[15:0]<<48"
    # Their last-level forms: the same operands.
    has aarch64.tlbi-op t_tlbi_va_leaf "^tlbi vaale1$I( |\$)"
    are aarch64.tlbi-operand t_tlbi_va_leaf . ordered "tlbi vaale1$I <- arg1[55:12]"
    has aarch64.tlbi-op t_tlbi_va_asid_leaf "^tlbi vale1$I( |\$)"
    are aarch64.tlbi-operand t_tlbi_va_asid_leaf . ordered "tlbi vale1$I <- arg1[55:12]|arg2[15:0]<<48"
    if [ "$cfg" = s2 ]; then
        has aarch64.tlbi-op t_tlbi_ipa '^tlbi ipas2e1is( |$)'
        are aarch64.tlbi-operand t_tlbi_ipa . ordered "tlbi ipas2e1is <- arg1[55:12]"
        are aarch64.tlbi-op t_tlbi_s12_all . ordered "tlbi vmalls12e1is"
        are policy p_inval_page . ordered "tlbi ipas2e1is <- arg1[55:12]"
        are policy p_inval_all . ordered "tlbi vmalls12e1is"
        are policy p_inval_all_global . ordered "tlbi vmalls12e1is"
        # Stage 2 entries gone everywhere, then the combined ones.
        are policy p_inval_end . ordered "dsb ish" "tlbi vmalle1is" "dsb ish"
    else
        are policy p_inval_page . ordered "tlbi vaae1$I <- arg1[55:12]"
        are policy p_inval_page_space . ordered "tlbi vae1$I <- arg1[55:12]|imm:0x2a000000000000"
        are policy p_inval_page_leaf . ordered "tlbi vaale1$I <- arg1[55:12]"
        are policy p_inval_page_leaf_space . ordered "tlbi vale1$I <- arg1[55:12]|imm:0x2a000000000000"
        are policy p_inval_all_space . ordered "tlbi aside1$I <- imm:0x2a000000000000"
        are policy p_inval_all . ordered "tlbi vmalle1$I"
        are policy p_inval_all_global . ordered "tlbi vmalle1$I"
        are policy p_inval_end . ordered "dsb $D"
    fi
    if [ "$cfg" = range ]; then
        # FEAT_TLBIRANGE: the operand as the policy built it (the simulator
        # decodes its fields: tests/test_range.c), the ID register read.
        are aarch64.tlbi-op t_tlbi_rva . ordered "tlbi rvaae1$I <- arg1"
        are aarch64.tlbi-op t_tlbi_rva_asid . ordered "tlbi rvae1$I <- arg1"
        are aarch64.tlbi-op t_tlbi_rva_leaf . ordered "tlbi rvaale1$I <- arg1"
        are aarch64.tlbi-op t_tlbi_rva_asid_leaf . ordered "tlbi rvale1$I <- arg1"
        has policy p_inval_range_leaf_67 "^tlbi rvaale1$I( |\$)"
        has policy p_inval_range_leaf_67 "^tlbi vaale1$I( |\$)"
        are aarch64.id-register t_has_tlbirange . ordered "mrs id_aa64isar0_el1"
        has policy p_inval_range_67 "^tlbi rvaae1$I( |\$)"
        has policy p_inval_range_67 "^tlbi vaae1$I( |\$)"
    fi
    are policy p_inval_end_all . ordered "dsb $D"
    are policy p_inval_begin . ordered "dsb ${D}st"
    are policy p_inval_begin_all . ordered "dsb ${D}st"
    are policy p_context_sync . ordered "isb"
    if [ "$cfg" = nsh ]; then
        nowhere aarch64.barrier-domain '^(dsb:ish|dsb:ishst|tlbi:.*is)$'
    else
        nowhere aarch64.barrier-domain '^(dsb:nsh|dsb:nshst|tlbi:vaae1|tlbi:vmalle1|tlbi:vae1|tlbi:aside1|tlbi:rvaae1|tlbi:rvae1|tlbi:vaale1|tlbi:vale1|tlbi:rvaale1|tlbi:rvale1)$'
    fi
}

# riscv64.  Arguments a0..a7 = arg0..arg7.  The words to compare with come
# from binutils (rv_reference below); "sys P rs1=V": a SYSTEM word whose bits
# other than rs1 are P, with rs1 holding V.
check_riscv64() {
    has riscv64.insn-words t_sfence_vma_va "^sys $P_SFENCE_VMA "
    are riscv64.va-operand t_sfence_vma_va . ordered "sys $P_SFENCE_VMA rs1=arg1"
    are riscv64.insn-words t_sfence_vma_all . ordered "sys $P_SFENCE_VMA rs1=x0"
    are riscv64.insn-words t_sfence_w_inval . ordered "sys $P_SFENCE_W_INVAL rs1=x0"
    has riscv64.insn-words t_sinval_vma "^sys $P_SINVAL_VMA "
    are riscv64.va-operand t_sinval_vma . ordered "sys $P_SINVAL_VMA rs1=arg1"
    are riscv64.insn-words t_sfence_inval_ir . ordered "sys $P_SFENCE_INVAL_IR rs1=x0"
    are riscv64.sbi-ecall t_sbi_rfence . ordered \
        "ecall a0=arg2 a1=arg3 a2=arg4 a3=arg5 a4=arg6 a6=arg1 a7=imm:0x52464e43"
    # The ASID forms: the ASID (zero-extended) in rs2.
    are riscv64.asid-operand t_sfence_vma_va_asid . ordered "sys $P_SFENCE_VMA rs1=arg1 rs2=arg2[31:0]"
    are riscv64.asid-operand t_sfence_vma_asid . ordered "sys $P_SFENCE_VMA rs1=x0 rs2=arg1[31:0]"
    are riscv64.asid-operand t_sinval_vma_asid . ordered "sys $P_SINVAL_VMA rs1=arg1 rs2=arg2[31:0]"
    are policy p_inval_all_space . ordered "sys $P_SFENCE_VMA rs1=x0 rs2=imm:0x2a"
    are riscv64.store-pte t_store_pte . ordered "store64 [arg1+0] <- arg2"
    are policy p_inval_all . ordered "sys $P_SFENCE_VMA rs1=x0"
    are policy p_inval_all_global . ordered "sys $P_SFENCE_VMA rs1=x0"
    if [ "$cfg" = svinval ]; then
        are policy p_inval_page_space . ordered "sys $P_SINVAL_VMA rs1=arg1 rs2=imm:0x2a"
        are policy p_inval_page . ordered "sys $P_SINVAL_VMA rs1=arg1"
        are policy p_inval_begin . ordered "sys $P_SFENCE_W_INVAL rs1=x0"
        are policy p_inval_end . ordered "sys $P_SFENCE_INVAL_IR rs1=x0"
        are policy p_inval_begin_all . ordered
        are policy p_inval_end_all . ordered
    else
        are policy p_inval_page_space . ordered "sys $P_SFENCE_VMA rs1=arg1 rs2=imm:0x2a"
        are policy p_inval_page . ordered "sys $P_SFENCE_VMA rs1=arg1"
    fi
}

# The reference words: the mnemonics assembled by binutils, or, if its
# assembler does not know Svinval, the table in arch/riscv64/insn.h's header.
rv_reference() { # assembler, objdump
    printf '%s\n' "sfence.vma a0, zero" "sinval.vma a0, zero" "sfence.w.inval" "sfence.inval.ir" >"$out/svinval.s"
    if "$1" -march=rv64imac_zicsr_zifencei_svinval "$out/svinval.s" -o "$out/svinval.o" 2>"$out/svinval.err"; then
        words=$("$2" -d "$out/svinval.o" | sed -n 's/^ *[0-9a-f]*:[[:space:]]*\([0-9a-f]\{8\}\)[[:space:]].*/\1/p' | tr '\n' ' ')
        src="binutils ($1 -march=..._svinval)"
    else
        words=$(sed -n 's/^ \*   \(SFENCE\.VMA\|SINVAL\.VMA\|SFENCE\.W\.INVAL\|SFENCE\.INVAL\.IR\) .*0x\([0-9a-fA-F]\{8\}\).*/\2/p' \
            "$root/arch/riscv64/insn.h" | tr '\n' ' ')
        src="the encodings documented in arch/riscv64/insn.h ($1 does not know Svinval)"
        echo "NOTE riscv64: reference words from $src"
    fi
    set -- $words
    if [ $# -ne 4 ]; then
        nfail=$((nfail + 1))
        echo "FAIL [riscv64.insn-words] riscv64: no reference words from $src"
        P_SFENCE_VMA=none P_SINVAL_VMA=none P_SFENCE_W_INVAL=none P_SFENCE_INVAL_IR=none
        return
    fi
    # rs1 (bits 19:15) cleared: the register is checked separately.
    clr() { printf '0x%08x' $((0x$1 & ~(31 << 15))); }
    P_SFENCE_VMA=$(clr "$1") P_SINVAL_VMA=$(clr "$2")
    P_SFENCE_W_INVAL=$(printf '0x%08x' $((0x$3))) P_SFENCE_INVAL_IR=$(printf '0x%08x' $((0x$4)))
    echo "ok   riscv64 reference words from $src: sfence.vma a0,zero=$1 sinval.vma a0,zero=$2 sfence.w.inval=$3 sfence.inval.ir=$4"
    # The header's table says the same (documentation check).
    doc=$(sed -n 's/^ \*   \(SFENCE\.VMA\|SINVAL\.VMA\|SFENCE\.W\.INVAL\|SFENCE\.INVAL\.IR\) .*0x\([0-9a-fA-F]\{8\}\).*/\2/p' \
        "$root/arch/riscv64/insn.h" | tr 'A-F' 'a-f' | tr '\n' ' ')
    nchecks=$((nchecks + 1))
    ref="$(clr "$1" | cut -c3-) $(clr "$2" | cut -c3-) $3 $4 "
    if [ "$doc" != "$ref" ]; then
        nfail=$((nfail + 1))
        echo "FAIL [riscv64.doc-words] riscv64: arch/riscv64/insn.h's table says '$doc', binutils '$ref'"
    fi
}

# ---------------------------------------------------------------------------
clang_can() { # target triple, flags: clang present and can compile for it
    have clang && echo 'int x;' | clang --target="$1" -x c -c - -o /dev/null 2>/dev/null
}

for arch in $arches; do
    rm -f "$out/$arch.prims"
    case $arch in
    x86_64)
        ccs=""
        have gcc && have objdump && ccs="gcc"
        clang_can x86_64-unknown-none && have objdump && ccs="$ccs clang"
        [ -z "$ccs" ] && { echo "SKIP x86_64: no gcc/clang with objdump"; continue; }
        for cc in gcc clang; do
            case " $ccs " in *" $cc "*) ;; *) echo "SKIP x86_64 $cc: not installed"; continue ;; esac
            if [ $cc = gcc ]; then set -- gcc; else set -- clang --target=x86_64-unknown-none; fi
            for c in default:"" global:-DLAZY_MMU_X86_64_GLOBAL_PAGES=1 invpcid:-DLAZY_MMU_X86_64_INVPCID=1 \
                pkru:-DLAZY_MMU_X86_64_PKRU=1 ept:-DLAZY_MMU_STAGE2=1 invlpgb:-DLAZY_MMU_X86_64_INVLPGB=1; do
                build x86_64 $cc "${c%%:*}" objdump "$@" -mno-red-zone -mno-sse -mno-mmx -fno-pic \
                    -DLAZY_MMU_ARCH_X86_64 ${c#*:}
            done
        done
        insn_coverage x86_64
        ;;
    aarch64)
        if ! have aarch64-linux-gnu-objdump; then echo "SKIP aarch64: no aarch64-linux-gnu-objdump (binutils-aarch64-linux-gnu)"; continue; fi
        for cc in gcc clang; do
            if [ $cc = gcc ]; then
                have aarch64-linux-gnu-gcc || { echo "SKIP aarch64 gcc: no aarch64-linux-gnu-gcc"; continue; }
                set -- aarch64-linux-gnu-gcc
            else
                clang_can aarch64-none-elf || { echo "SKIP aarch64 clang: no clang for aarch64-none-elf"; continue; }
                set -- clang --target=aarch64-none-elf
            fi
            for c in default:"" s2:-DLAZY_MMU_STAGE2=1 nsh:-DLAZY_MMU_AARCH64_NONSHAREABLE=1 \
                range:-DLAZY_MMU_AARCH64_TLBIRANGE=1; do
                build aarch64 $cc "${c%%:*}" aarch64-linux-gnu-objdump "$@" -mgeneral-regs-only \
                    -DLAZY_MMU_ARCH_AARCH64 ${c#*:}
            done
        done
        [ -f "$out/aarch64.prims" ] && insn_coverage aarch64
        ;;
    riscv64)
        if ! have riscv64-linux-gnu-objdump || ! have riscv64-linux-gnu-as; then
            echo "SKIP riscv64: no riscv64-linux-gnu binutils"
            continue
        fi
        rv_reference riscv64-linux-gnu-as riscv64-linux-gnu-objdump
        for cc in gcc clang; do
            if [ $cc = gcc ]; then
                have riscv64-linux-gnu-gcc || { echo "SKIP riscv64 gcc: no riscv64-linux-gnu-gcc"; continue; }
                set -- riscv64-linux-gnu-gcc -march=rv64imac_zicsr_zifencei
            else
                clang_can riscv64-unknown-elf || { echo "SKIP riscv64 clang: no clang for riscv64-unknown-elf"; continue; }
                set -- clang --target=riscv64-unknown-elf -march=rv64imac
            fi
            for c in default:"" svinval:-DLAZY_MMU_RISCV64_SVINVAL=1; do
                build riscv64 $cc "${c%%:*}" riscv64-linux-gnu-objdump "$@" -mabi=lp64 -mcmodel=medany \
                    -DLAZY_MMU_ARCH_RISCV64 ${c#*:}
            done
        done
        [ -f "$out/riscv64.prims" ] && insn_coverage riscv64
        ;;
    *)
        echo "insn-check: unknown architecture '$arch' (x86_64, aarch64, riscv64)"
        exit 2
        ;;
    esac
done

if [ $nfail -ne 0 ]; then
    echo "insn-check: $nfail of $nchecks checks FAILED ($nbuilds builds; objects and disassembly in $out)"
    exit 1
fi
echo "insn-check: $nchecks checks in $nbuilds builds ok"
