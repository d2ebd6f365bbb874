#!/bin/sh
# tests/consume/run.sh - consume lazymmu every way an embedder can, from
# nothing but what each way provides:
#
#   pkg-config        make install PREFIX=... DESTDIR=..., then a plain
#                     Makefile using `pkg-config --cflags lazymmu`; make
#                     uninstall must leave no file behind
#   cmake-subdir      add_subdirectory() of the repository
#   cmake-find        cmake --install (the same tree as make install), then
#                     find_package(lazymmu) with configuration variables
#   meson-subproject  the repository as subprojects/lazymmu, configured with
#                     its options, found by dependency() through
#                     meson.override_dependency
#
# and first, `options`: every macro in lazymmu.h's configuration table is
# settable from CMake and Meson.
#
# Each way builds (a) kernel.c, freestanding for the host architecture: run.sh
# checks the backend's real instructions are in the object and that it
# references no outside symbol; and (b) the hosted demo (examples/demo.c and
# examples/demo_backend.c once per backend under the simulator), and runs it.
# Work happens in a temporary directory, removed at the end (KEEP=1 keeps
# it); nothing is written to the repository.  One `ok` line per way, then a summary; the exit
# status is non-zero if any way failed (its log is printed).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/consume
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lazymmu-consume.XXXXXX")
# KEEP=1 leaves the builds for a look; by default nothing is left behind.
if [ "${KEEP:-0}" = 1 ]; then
    echo "consume-test: working in $tmp (kept)"
else
    trap 'rm -rf "$tmp"' EXIT INT TERM
fi
CC=${CC:-cc}
export CC

version=$(sed -nE 's/^#define LAZY_MMU_VERSION_(MAJOR|MINOR|PATCH) +([0-9]+).*/\2/p' \
    "$top/lazymmu.h" | paste -sd. -)
case $version in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "consume-test: no version in lazymmu.h" >&2; exit 1 ;;
esac

# What the freestanding object must contain: an instruction only the real
# backend emits (the simulator has none).
case $(uname -m) in
x86_64) insn=invlpg kflags=-mno-red-zone ;;
aarch64) insn=tlbi kflags=-mgeneral-regs-only ;;
riscv64) insn=sfence.vma kflags= ;;
*) echo "consume-test: no lazymmu backend for host $(uname -m)" >&2; exit 1 ;;
esac

# make install through the Makefile once it includes mk/install.mk; until
# then through the fragment itself (it guards against double inclusion).
if grep -q 'mk/install\.mk' "$top/Makefile"; then
    make_install() { make -s -C "$top" "$@"; }
else
    make_install() { make -s -C "$top" -f Makefile -f mk/install.mk "$@"; }
fi

# A fixture directory: the way's own files plus the shared sources.
fixture() { # way-dir, destination
    mkdir -p "$2" &&
        cp -R "$here/$1/." "$2/" &&
        cp "$here/kernel.c" "$top/examples/demo.c" "$top/examples/demo.h" "$top/examples/workload.h" \
            "$top/examples/demo_backend.c" "$2/" &&
        cp -R "$here/shim" "$here/consumer.cmake" "$2/"
}

check_kernel_object() { # object file
    [ -f "$1" ] || { echo "no kernel object $1"; return 1; }
    und=$(nm -u "$1")
    [ -z "$und" ] || { echo "kernel object references outside symbols: $und"; return 1; }
    objdump -d "$1" | grep -qw "$insn" ||
        { echo "kernel object has no $insn: not the real backend"; return 1; }
}

run_demo() { # executable
    "$1" >"$tmp/demo.out" 2>&1 || { cat "$tmp/demo.out"; echo "demo failed"; return 1; }
    tail -n 1 "$tmp/demo.out" | grep -qx 'demo: every run verified' ||
        { tail -n 5 "$tmp/demo.out"; echo "demo did not verify"; return 1; }
}

# Every object-like macro of lazymmu.h's configuration table must be settable
# from CMake and Meson, so the two cannot fall behind the header.
way_options() {
    macros=$(sed -n '/^ \* CONFIGURATION/,/Per-backend defaults/p' "$top/lazymmu.h" |
        grep -oE '^ \*   LAZY_MMU_[A-Z0-9_]+\(?' | sed 's/^ \*   LAZY_MMU_//')
    [ -n "$macros" ] || { echo "no configuration table found in lazymmu.h"; return 1; }
    cmake_names=$(awk '/^set\(LAZYMMU_OPTION_/ { on = 1 } on { print } on && /\)/ { on = 0 }' \
        "$top/cmake/lazymmuOptions.cmake" | tr -d '()' | tr -s ' \n' '  ')
    missing=
    for mac in $macros; do
        case $mac in
        *\() continue ;; # function-like: a header of the embedder's (lazymmuOptions.cmake)
        ARCH_*) cm=ARCH ms=arch ;;
        DEBUG) cm=DEBUG ms=debug_checks ;; # Meson reserves "debug"
        *) cm=$mac ms=$(echo "$mac" | tr A-Z a-z) ;;
        esac
        # in a set(LAZYMMU_OPTION_...) list, or read as ${LAZYMMU_<name>}
        echo " $cmake_names " | grep -q " $cm " ||
            grep -qF "\${LAZYMMU_$cm}" "$top/cmake/lazymmuOptions.cmake" ||
            missing="$missing cmake:LAZYMMU_$cm"
        grep -q "^option('$ms'" "$top/meson_options.txt" || missing="$missing meson:$ms"
    done
    [ -z "$missing" ] || { echo "lazymmu.h's configuration table has no option for:$missing"; return 1; }
}

way_pkg_config() {
    stage=$tmp/pc-stage prefix=/opt/kernel-sdk
    make_install install PREFIX=$prefix DESTDIR="$stage" || return 1
    [ -f "$stage$prefix/include/lazymmu/lazymmu.h" ] &&
        [ -f "$stage$prefix/include/lazymmu/arch/sim/sim.h" ] ||
        { echo "headers not installed under $prefix/include/lazymmu"; return 1; }
    PKG_CONFIG_LIBDIR=$stage$prefix/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
    PKG_CONFIG_PATH=
    export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
    pkg-config --validate lazymmu || return 1
    v=$(pkg-config --modversion lazymmu) && [ "$v" = "$version" ] ||
        { echo "pkg-config says version '$v', lazymmu.h $version"; return 1; }
    pkg-config --exists "lazymmu >= 0.1" || { echo "lazymmu >= 0.1 not met"; return 1; }
    cflags=$(pkg-config --cflags lazymmu | sed 's/ *$//')
    [ "$cflags" = "-I$stage$prefix/include" ] ||
        { echo "unexpected Cflags: $cflags"; return 1; }
    [ -z "$(pkg-config --libs lazymmu)" ] || { echo "a header-only package has Libs"; return 1; }
    fixture pkg-config "$tmp/pc" || return 1
    make -s -C "$tmp/pc" KERNEL_ARCH_FLAGS="$kflags" || return 1
    check_kernel_object "$tmp/pc/kernel.o" && run_demo "$tmp/pc/demo" || return 1
    make_install uninstall PREFIX=$prefix DESTDIR="$stage" || return 1
    left=$(find "$stage" -type f)
    [ -z "$left" ] || { echo "make uninstall left: $left"; return 1; }
    [ ! -e "$stage$prefix/include/lazymmu" ] || { echo "make uninstall left include/lazymmu"; return 1; }
}

way_cmake_subdir() {
    fixture cmake-subdir "$tmp/sub" || return 1
    cmake -S "$tmp/sub" -B "$tmp/sub/build" -DLAZYMMU_SOURCE_DIR="$top" || return 1
    cmake --build "$tmp/sub/build" || return 1
    check_kernel_object "$(find "$tmp/sub/build" -name 'kernel.c.o')" &&
        run_demo "$tmp/sub/build/demo"
}

way_cmake_find() {
    cmake -S "$top" -B "$tmp/lib-build" -DCMAKE_INSTALL_PREFIX=/usr/local || return 1
    DESTDIR=$tmp/cm-stage cmake --install "$tmp/lib-build" || return 1
    # One layout, whichever installer: make install must produce the same
    # files, byte for byte.
    make_install install DESTDIR="$tmp/mk-stage" PREFIX=/usr/local || return 1
    diff -r "$tmp/mk-stage" "$tmp/cm-stage" || { echo "make install and cmake --install differ"; return 1; }
    fixture cmake-find "$tmp/find" || return 1
    # The config finds its headers relative to itself: a staged tree works.
    cmake -S "$tmp/find" -B "$tmp/find/build" -DCMAKE_PREFIX_PATH="$tmp/cm-stage/usr/local" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
        -DEXPECTED_VERSION="$version" -DLAZYMMU_STATS=ON -DLAZYMMU_BATCH_MAX=16 || return 1
    cmake --build "$tmp/find/build" || return 1
    grep -q "cm-stage/usr/local/share/cmake/lazymmu" "$tmp/find/build/CMakeCache.txt" ||
        { echo "find_package did not use the installed tree"; return 1; }
    check_kernel_object "$(find "$tmp/find/build" -name 'kernel.c.o')" &&
        run_demo "$tmp/find/build/demo"
}

way_meson_subproject() {
    fixture meson "$tmp/meson" || return 1
    mkdir -p "$tmp/meson/subprojects" && ln -s "$top" "$tmp/meson/subprojects/lazymmu" || return 1
    meson setup "$tmp/meson/build" "$tmp/meson" -Dexpected_version="$version" || return 1
    meson compile -C "$tmp/meson/build" || return 1
    check_kernel_object "$(find "$tmp/meson/build" -name 'kernel.c.o')" &&
        run_demo "$tmp/meson/build/demo"
}

passed=0 failed=0
for way in options pkg-config cmake-subdir cmake-find meson-subproject; do
    fn=way_$(echo "$way" | tr - _)
    missing=
    case $way in
    pkg-config) for t in pkg-config make; do command -v $t >/dev/null || missing="$missing $t"; done ;;
    cmake-*) command -v cmake >/dev/null || missing=cmake ;;
    meson-*) for t in meson ninja; do command -v $t >/dev/null || missing="$missing $t"; done ;;
    esac
    if [ -n "$missing" ]; then
        echo "FAIL $way: not installed:$missing"
        failed=$((failed + 1))
        continue
    fi
    if ( set -e; $fn ) >"$tmp/$way.log" 2>&1; then
        echo "ok   $way"
        passed=$((passed + 1))
    else
        echo "FAIL $way; its log:"
        sed 's/^/    /' "$tmp/$way.log"
        failed=$((failed + 1))
    fi
done
echo "consume-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
