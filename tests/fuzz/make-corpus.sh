#!/usr/bin/env bash
# tests/fuzz/make-corpus.sh OUT CONFIG... - re-derive the seed corpora
# tests/fuzz/corpus/<config>/ (`make fuzz-corpus`; OUT holds the built
# targets).  The seeds are written by hand in the table below, one a line:
# a name, then the input bytes in hex; each aims at one edge of the library.
# A configuration keeps the seeds that add coverage on it (libFuzzer's
# -merge=1), under their names.
#
# The encoding is fuzz_lazymmu.c's run_one(): an opcode byte (% 16), then
# its arguments:
#   00 enter     01 leave/resume (the innermost)     02 flush     03 pause
#   04-06 set_pte run: first page, count-1, change   07 set_pte: page, change
#   08 poke + invalidate_page: page, change
#   09 poke + invalidate_range: first page, pages (0-8), change, offsets
#   0a poke + large invalidate_range: first page, count-1 (2 bytes), change
#   0b poke + invalidate_all: page, change         0c-0d access: page, count-1
#   0e-0f interrupt: first page, updates-1, change, own section (bit 0),
#         then one change byte per further update (0xc0 set: poke + invalidate)
#   change: bits 0-1 map/protect/remap/unmap, bit 2 global bit, bit 3 pooled
#   frame (unmap: keep frame bits), bits 4-5 ascending/descending/every other
#   page/each page twice.
# Pages 0-63 and 128-135 start mapped and cached, 64-127 and 136-143 empty.
# Decode any seed with: LAZYMMU_FUZZ_TRACE=1 build/fuzz/fuzz-x86_64 FILE
set -euo pipefail
cd "$(dirname "$0")"
[ $# -ge 2 ] || { echo "usage: $0 OUT CONFIG..." >&2; exit 2; }
OUT=$1
case $OUT in /*) ;; *) OUT=../../$OUT ;; esac
shift
seeds=$(mktemp -d "${TMPDIR:-/tmp}/lazymmu-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
mkdir "$seeds/all"
while read -r name hex; do
    { [ -z "$name" ] || [ "${name#\#}" != "$name" ]; } && continue
    esc=""
    for b in $hex; do esc="$esc\\x$b"; done
    printf "%b" "$esc" >"$seeds/all/$name"
done <<'SEEDS'
remap-run              00 04 00 1f 02 01
map-run                00 04 40 1f 00 01
unmap-run              00 04 00 1f 03 01
protect-run            00 04 00 3f 01 01
remap-descending       00 04 00 1f 12 01
remap-every-other      00 04 00 3f 22 01
remap-twice            00 04 00 0f 32 01
remap-pooled           00 04 00 0f 0a 01
remap-global           00 04 00 2f 06 01
unmap-keep-then-map    00 04 00 0f 0b 04 00 0f 00 01
protect-invalid        00 04 40 0f 01 01
nested                 00 04 00 07 02 00 04 08 07 02 01 04 10 07 02 01
flush-mid-section      00 04 00 07 02 02 04 08 07 02 01
pause-resume           00 04 00 07 02 03 07 10 02 01 04 18 07 02 01
pause-outside          03 04 00 03 02 01
deep-nesting           00 00 00 00 04 00 03 02 01 01 01 01
eager-set              04 00 07 02 07 41 00
batch-overflow         00 04 00 7f 22 01
above-threshold        00 04 00 7f 02 01
poke-page              00 08 05 02 01
poke-range-unaligned   00 09 04 05 02 37 01
empty-range            00 09 05 00 00 00 01
large-range            00 0a 00 03 00 02 01
invalidate-all         00 0b 03 02 01
access-in-section      00 04 00 0f 02 0c 00 07 01
irq-eager              00 04 00 0f 02 0e 00 03 02 00 00 03 02 04 10 0f 02 01
irq-own-section        00 04 00 0f 02 0e 05 02 00 01 02 03 0c 00 07 01
irq-poke               00 0e 00 01 c2 00 c0 01
irq-in-pause           00 04 00 07 02 03 0e 00 02 02 00 00 01 01
irq-outside            0e 03 05 02 00 02 00 03 01 02 03
same-entry-40-times    00 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 07 05 01 0c 05 00 01
unmap-refill-remap     00 07 00 03 04 02 3e 22 07 00 00 0c 00 00 01
global-then-many       04 64 00 04 00 04 01 3c 22 07 64 02 04 00 3f 02 01
mixed                  00 04 00 0f 02 0e 02 01 00 00 03 00 04 20 1f 12 08 21 02 03 07 22 03 01 0c 00 07 02 09 30 04 01 25 0b 01 02 0e 00 00 02 01 01 0c 10 07 01
SEEDS
for cfg in "$@"; do
    rm -rf "$seeds/merged" && mkdir "$seeds/merged"
    "$OUT/fuzz-$cfg" -merge=1 "$seeds/merged" "$seeds/all" >"$seeds/merge.log" 2>&1 ||
        { cat "$seeds/merge.log" >&2; exit 1; }
    # Merged inputs are named by their SHA-1: give them their names back.
    rm -rf "corpus/$cfg" && mkdir -p "corpus/$cfg"
    for f in "$seeds/all"/*; do
        h=$(sha1sum <"$f" | cut -d' ' -f1)
        if [ -f "$seeds/merged/$h" ]; then cp "$f" "corpus/$cfg/"; fi
    done
    echo "make-corpus: $cfg keeps $(find "corpus/$cfg" -type f | wc -l) of $(find "$seeds/all" -type f | wc -l) seeds"
done
