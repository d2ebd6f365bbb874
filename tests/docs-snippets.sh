#!/bin/sh
# tests/docs-snippets.sh - every ```c block in README.md and docs/**/*.md is
# compiled against lazymmu.h, so no documented code can rot.
#
# By default a block is one translation unit, compiled as a kernel compiles
# the library: freestanding (-std=c11 -ffreestanding -nostdlib -O2 -Wall
# -Wextra -Werror -pedantic -c) for the host architecture and again with
# each cross compiler present (aarch64, riscv64; blocks that pick a backend
# themselves: the host only), with
# tests/docs/kernel.h included first: the small, made-up kernel API that the
# examples are written against (this_cpu(), NR_CPUS, preempt_disable(),
# panic(), ...).  Both spellings of the include work: "lazymmu.h" (a copy in
# the tree, README.md's "Embedding") and <lazymmu/lazymmu.h> (a package).
#
# An HTML comment on the nearest non-blank line before the fence changes
# that; it is invisible in the rendered page:
#
#   <!-- snippet: KEY[=VALUE] ... -->
#
#   prelude=A.h,B.h    include these files of tests/docs/ first, instead of
#                      kernel.h; prelude=none: the block is complete
#   flags=-DX=1,-DY    extra compiler flags (comma-separated, no spaces)
#   continue           the block continues the previous block of the same
#                      file (one translation unit; the first block's keys
#                      apply): a walk-through split by prose
#   run                hosted instead: compile, link and run; exit status 0
#   file=PATH          not compiled alone: the block is the file PATH of a
#                      scratch copy of lazymmu.h + arch/ (a new backend's
#                      arch/<name>/types.h, insn.h, sim.h, policy.h)
#   append=PATH        not compiled alone: inserted into the scratch copy of
#                      PATH before its closing #endif
#   backend=NAME       compile against the scratch copy, with the backend of
#                      arch/NAME/ selected (-DLAZY_MMU_ARCH_<NAME>=1; the
#                      scratch arch/select.h learns about it first)
#
# Diagnostics point into the Markdown file (each block starts with #line), and
# a failing block is reported as FILE:LINE.  The last line is
# "docs-snippets: N passed, N failed"; the exit status is non-zero on any
# failure or on a malformed block (unclosed fence, annotation with no block,
# unknown key).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lazymmu-snippets.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
CC=${CC:-cc}
# The cross compilers present compile every kernel block too: the same code
# must build for each architecture the library has (README: "Using it").
CROSS=
for cc in aarch64-linux-gnu-gcc riscv64-linux-gnu-gcc; do
    command -v "$cc" >/dev/null 2>&1 && CROSS="$CROSS $cc"
done
FREESTANDING="-std=c11 -ffreestanding -nostdlib -O2 -Wall -Wextra -Werror -pedantic -c"
HOSTED="-std=c11 -O1 -g -Wall -Wextra -Werror -pedantic"

# README.md and every Markdown file under docs/ (no spaces in their names).
files="README.md $(find docs -name '*.md' 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')"

# 1. Extract.  Each ```c block becomes $tmp/b/N.c, starting with a #line that
# names its first line; $tmp/index gets "N<TAB>file<TAB>line<TAB>keys".
mkdir -p "$tmp/b"
awk -v out="$tmp/b" -v index_file="$tmp/index" '
    function fail_at(file, line, msg) { printf "%s:%d: %s\n", file, line, msg; bad = 1 }
    function fail(msg) { fail_at(FILENAME, FNR, msg) }
    function end_of_file() {
        if (infence) fail_at(prevfile, fenceline, "code fence never closed")
        if (pending != "") fail_at(prevfile, pendline, "snippet annotation not followed by a ```c block")
        if (capture) close(cur)
        infence = 0; capture = 0; pending = ""
    }
    FNR == 1 { end_of_file(); prevfile = FILENAME }
    infence {
        if ($0 ~ "^" fence "[ \t]*$") {
            infence = 0
            if (capture) close(cur)
            capture = 0
            next
        }
        if (capture) print > cur
        next
    }
    /^[ \t]*(```|~~~)/ {
        match($0, /(```+|~~~+)/)
        fence = substr($0, RSTART, RLENGTH)
        info = substr($0, RSTART + RLENGTH)
        gsub(/^[ \t]+|[ \t]+$/, "", info)
        infence = 1
        fenceline = FNR
        capture = (info == "c")
        if (capture) {
            n++
            cur = out "/" n ".c"
            printf "#line %d \"%s\"\n", FNR + 1, FILENAME > cur
            printf "%d\t%s\t%d\t%s\n", n, FILENAME, FNR, pending > index_file
        } else if (pending != "") {
            fail("snippet annotation before a block that is not ```c")
        }
        pending = ""
        next
    }
    /<!-- *snippet:/ {
        if (pending != "") fail("two snippet annotations in a row")
        s = $0
        sub(/.*<!-- *snippet:[ \t]*/, "", s)
        if (s !~ /-->[ \t]*$/) { fail("snippet annotation must fit on one line"); next }
        sub(/[ \t]*-->[ \t]*$/, "", s)
        pending = (s == "" ? "-" : s)
        pendline = FNR
        next
    }
    /^[ \t]*$/ { next }
    { if (pending != "") fail("snippet annotation not followed by a ```c block"); pending = "" }
    END {
        end_of_file()
        close(index_file)
        exit bad
    }
' $files || { echo "docs-snippets: malformed Markdown (above)"; echo "docs-snippets: 0 passed, 1 failed"; exit 1; }
[ -f "$tmp/index" ] || : >"$tmp/index"

passed=0 failed=0
fail() { # where, message, [log file]
    echo "docs-snippets: FAIL $1: $2"
    [ $# -lt 3 ] || sed 's/^/    /' "$3"
    failed=$((failed + 1))
}

# Keys of an annotation, into variables (k_*).
parse_keys() { # keys, where
    k_prelude=kernel.h k_flags= k_continue=0 k_run=0 k_file= k_append= k_backend=
    for kv in $1; do
        case $kv in
        -) ;;
        prelude=*) k_prelude=${kv#prelude=} ;;
        flags=*) k_flags=$(echo "${kv#flags=}" | tr , ' ') ;;
        continue) k_continue=1 ;;
        run) k_run=1 ;;
        file=*) k_file=${kv#file=} ;;
        append=*) k_append=${kv#append=} ;;
        backend=*) k_backend=${kv#backend=} ;;
        *) fail "$2" "unknown snippet key '$kv'"; return 1 ;;
        esac
    done
}

# 2. The scratch tree: a copy of the library, plus the blocks that are files
# of it, in document order.
tree=$tmp/tree
mkdir -p "$tree" "$tmp/inc-repo" "$tmp/inc-tree"
cp lazymmu.h "$tree/" && cp -R arch "$tree/"
ln -s "$top" "$tmp/inc-repo/lazymmu"
ln -s "$tree" "$tmp/inc-tree/lazymmu"
newbackends=
while IFS='	' read -r n file line keys; do
    where=$file:$line
    parse_keys "$keys" "$where" || { echo "skip $n" >>"$tmp/consumed"; continue; }
    if [ -n "$k_file" ]; then
        mkdir -p "$tree/$(dirname "$k_file")" && cp "$tmp/b/$n.c" "$tree/$k_file"
        case $k_file in arch/*/*) b=${k_file#arch/}; b=${b%%/*}
            case " $newbackends " in *" $b "*) ;; *) [ -e "$top/arch/$b" ] || newbackends="$newbackends $b" ;; esac ;;
        esac
        echo "file $n" >>"$tmp/consumed"
    elif [ -n "$k_append" ]; then
        [ -f "$tree/$k_append" ] || { fail "$where" "append=$k_append: no such file"; continue; }
        last=$(grep -n '^#endif' "$tree/$k_append" | tail -n 1 | cut -d: -f1)
        [ -n "$last" ] || { fail "$where" "append=$k_append: no closing #endif"; continue; }
        { head -n $((last - 1)) "$tree/$k_append"; cat "$tmp/b/$n.c"; echo;
          echo "#line $last \"$k_append\""; tail -n +"$last" "$tree/$k_append"; } >"$tmp/appended"
        mv "$tmp/appended" "$tree/$k_append"
        echo "file $n" >>"$tmp/consumed"
    fi
done <"$tmp/index"
# A new backend is selected ahead of the real arch/select.h, which the
# scratch tree keeps unchanged under another name.
if [ -n "$newbackends" ]; then
    mv "$tree/arch/select.h" "$tree/arch/select-upstream.h"
    {
        echo "/* scratch arch/select.h (tests/docs-snippets.sh): the backends documented"
        echo " * in docs/ first, then the real selection. */"
        kw=if
        for b in $newbackends; do
            B=$(echo "$b" | tr a-z A-Z)
            echo "#$kw defined(LAZY_MMU_ARCH_$B)"
            echo "#define LAZY_MMU__ARCH_TYPES \"arch/$b/types.h\""
            echo "#define LAZY_MMU__ARCH_POLICY \"arch/$b/policy.h\""
            echo "#if defined(LAZY_MMU_INSN_HEADER)"
            echo "#define LAZY_MMU__ARCH_INSN LAZY_MMU_INSN_HEADER"
            echo "#elif LAZY_MMU_SIMULATE"
            echo "#define LAZY_MMU__ARCH_INSN \"arch/$b/sim.h\""
            echo "#else"
            echo "#define LAZY_MMU__ARCH_INSN \"arch/$b/insn.h\""
            echo "#endif"
            kw=elif
        done
        echo "#else"
        echo "#include \"select-upstream.h\""
        echo "#endif"
    } >"$tree/arch/select.h"
fi

# 3. Compile the other blocks, joining continued ones.
compile() { # first block's where, its keys, source file
    src=$3
    if [ -n "$c_backend" ]; then
        [ -f "$tree/arch/$c_backend/types.h" ] && [ -f "$tree/arch/$c_backend/policy.h" ] ||
            { fail "$1" "backend=$c_backend: no arch/$c_backend/types.h and policy.h blocks"; return; }
        inc="-I$tree -I$tmp/inc-tree -DLAZY_MMU_ARCH_$(echo "$c_backend" | tr a-z A-Z)=1"
    else
        inc="-I$top -I$tmp/inc-repo"
    fi
    pre=
    if [ "$c_prelude" != none ]; then
        for p in $(echo "$c_prelude" | tr , ' '); do
            [ -f "$top/tests/docs/$p" ] || { fail "$1" "prelude $p: no tests/docs/$p"; return; }
            pre="$pre -include $top/tests/docs/$p"
        done
    fi
    if [ "$c_run" = 1 ]; then
        # shellcheck disable=SC2086
        if ! $CC $HOSTED $inc $pre $c_flags -x c "$src" -o "$tmp/prog" >"$tmp/log" 2>&1; then
            fail "$1" "does not compile" "$tmp/log"
        elif ! "$tmp/prog" >"$tmp/log" 2>&1; then
            fail "$1" "compiles, but its program failed" "$tmp/log"
        else
            passed=$((passed + 1))
        fi
    else
        for cc in "$CC" $CROSS; do
            # A block that picks a backend itself (backend=, or its own
            # LAZY_MMU_ARCH_*) is not one kernel's code: the host compiler only.
            [ "$cc" = "$CC" ] || [ -z "$c_backend" ] || continue
            [ "$cc" = "$CC" ] || ! grep -q 'LAZY_MMU_ARCH_' "$src" || continue
            # shellcheck disable=SC2086
            if $cc $FREESTANDING $inc $pre $c_flags -x c "$src" -o "$tmp/obj.o" >"$tmp/log" 2>&1; then
                passed=$((passed + 1))
            else
                fail "$1" "does not compile with $cc" "$tmp/log"
            fi
        done
    fi
}

chain= chain_file= chain_where=
flush_chain() {
    [ -n "$chain" ] || return 0
    compile "$chain_where" "" "$chain"
    chain=
}
while IFS='	' read -r n file line keys; do
    where=$file:$line
    grep -qxE "(file|skip) $n" "$tmp/consumed" 2>/dev/null && continue
    parse_keys "$keys" "$where" || continue
    if [ "$k_continue" = 1 ]; then
        if [ -z "$chain" ] || [ "$chain_file" != "$file" ]; then
            fail "$where" "'continue' with no earlier block in $file"
            continue
        fi
        cat "$tmp/b/$n.c" >>"$chain"
        continue
    fi
    flush_chain
    chain=$tmp/chain-$n.c chain_file=$file chain_where=$where
    c_prelude=$k_prelude c_flags=$k_flags c_run=$k_run c_backend=$k_backend
    cp "$tmp/b/$n.c" "$chain"
done <"$tmp/index"
flush_chain

echo "docs-snippets: $passed passed, $failed failed (compilers: $CC$CROSS)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
