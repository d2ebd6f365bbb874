#!/bin/sh
# check-boot.sh MODE KERNEL - boot KERNEL once under $QEMU (with $TIMEOUT),
# keep the serial output in KERNEL.log, print a one-line verdict, and exit 0
# when the boot showed what MODE requires:
#   pass      exit status 1 (arch_exit(0)) and "PASS x86_64: 0 scenario(s) failed"
#   neg       exit status 3 (arch_exit(1): scenarios failed, not a panic, not an
#             exception, not a triple fault), a FAIL scenario line and a
#             "stale" reason line
#   pkru      as pass, plus PKRU back at its boot value at exit; a CPU model
#             without PKU (exit status 13) is reported and skipped
#   pkru-neg  exit status 9 (an unexpected exception) that is a page fault
#             with the PK bit: the page tables really are key-protected
#   smp       (-smp 4) exit status 1, all 4 CPUs started ("cpus: 4") and
#             "PASS smp x86_64: 0 step(s) failed"
#   smp-neg   (-smp 4) exit status 3 (arch_exit(1): steps failed, not a panic,
#             not an exception), all 4 CPUs started, a "FAIL smp" line and at
#             least one step where a CPU other than the boot one read
#             through a stale translation
#   spaces    (kernel-spaces.elf) exit status 1, the SPACES line saying how
#             the PCIDs are set up (quoted in the verdict) and
#             "PASS x86_64 spaces: 0 scenario(s) failed"
#   spaces-neg  (kernel-spaces-neg.elf) exit status 3 (arch_exit(1), not a
#             panic, not an exception, not a triple fault, not a timeout),
#             a FAIL line and a reason line - stale, faulted, should fault
#             or a write that went through / faulted - for each of
#             block-remap, block-protect, split and table-unlink (the
#             library bypassed), and FAIL space-inactive with its counts
#             line (INVLPGs where the inactive space owes none)
#   global    (kernel-global.elf) as pass, with the window's pages global
#             and CR4.PGE on (the MMU line says so) and PGE still set at
#             exit: every full flush was a toggle that dropped the global
#             entries (no stale read) and set PGE again
# QEMU's isa-debug-exit makes a write of v exit with v * 2 + 1; a triple
# fault with -no-reboot exits 0, and timeout(1) exits 124.
mode=$1
elf=$2
log=$elf.log
$TIMEOUT $QEMU -kernel "$elf" >"$log" 2>&1 </dev/null
st=$?

has() { grep -Eq "$1" "$log"; }
verdict() { echo "x86_64 $mode ($elf): $1 (qemu exit status $st, log $log)"; }

case $mode in
pass)
    if [ $st -eq 1 ] && has '^PASS x86_64: 0 scenario\(s\) failed$'; then
        verdict "PASS: every scenario passed"; exit 0
    fi ;;
neg)
    if [ $st -eq 3 ] && has '^FAIL [a-z]+ n=[0-9]+$' &&
       has '^  [a-z]+ n=[0-9]+: page [0-9]+ stale' &&
       ! has '^PANIC|^UNEXPECTED'; then
        verdict "PASS: the negative control failed with stale reads ($(grep -c '^FAIL [a-z]* n=' "$log") FAIL scenario lines)"
        exit 0
    fi ;;
pkru)
    if [ $st -eq 13 ]; then
        verdict "SKIPPED: $(grep '^SKIP' "$log")"; exit 0
    fi
    if [ $st -eq 1 ] && has '^PASS x86_64: 0 scenario\(s\) failed$' &&
       has '^PKRU x86_64: 0x[0-9a-f]+ at exit, as boot set it$'; then
        verdict "PASS: every scenario passed with key-protected page tables; PKRU restored"
        exit 0
    fi ;;
pkru-neg)
    if [ $st -eq 9 ] && has '^UNEXPECTED EXCEPTION vector 14 \(#PF protection write PK\)'; then
        verdict "PASS: without LAZY_MMU_X86_64_PKRU the first page-table store took a PK fault"
        exit 0
    fi ;;
smp)
    if [ $st -eq 1 ] && has '^cpus: 4$' && has '^PASS smp x86_64: 0 step\(s\) failed$'; then
        verdict "PASS: 4 CPUs, every step seen right on every CPU"; exit 0
    fi ;;
smp-neg)
    stale='^  smp .* cpu [1-9].*(stale|should fault|write went through)'
    if [ $st -eq 3 ] && has '^cpus: 4$' && has '^FAIL smp x86_64: [1-9][0-9]* step\(s\) failed$' &&
       has "$stale" && ! has '^PANIC|^UNEXPECTED'; then
        verdict "PASS: the negative control failed with stale reads on other CPUs ($(grep -Ec "$stale" "$log") step lines)"
        exit 0
    fi ;;
global)
    if [ $st -eq 1 ] && has '^MMU x86_64: .*, its pages global, CR4\.PGE on$' &&
       has '^PASS x86_64: 0 scenario\(s\) failed$' &&
       has '^CR4 x86_64: PGE set at exit, as boot set it$'; then
        verdict "PASS: every scenario passed with global window pages; CR4.PGE set at exit"
        exit 0
    fi ;;
spaces)
    if [ $st -eq 1 ] && has '^SPACES x86_64: ' &&
       has '^PASS x86_64 spaces: 0 scenario\(s\) failed$'; then
        verdict "PASS: every blocks/tables/spaces scenario passed; $(sed -n 's/^SPACES x86_64: \([^;]*\).*/\1/p' "$log")"
        exit 0
    fi ;;
spaces-neg)
    ok=1
    for sc in block-remap block-protect split table-unlink; do
        has "^FAIL $sc\$" &&
            has "^  $sc: page [0-9]+ (stale|faulted|should fault|write (faulted|went through)) " ||
            ok=0
    done
    has '^FAIL space-inactive$' && has '^  space-inactive: page 0 counts page_invals got ' || ok=0
    if [ $st -eq 3 ] && [ $ok -eq 1 ] && has '^FAIL x86_64 spaces: [1-9][0-9]* scenario\(s\) failed$' &&
       ! has '^PANIC|^UNEXPECTED'; then
        verdict "PASS: the negative control failed as it must ($(grep '^FAIL [a-z-]*$' "$log" | sed 's/^FAIL //' | tr '\n' ' ' | sed 's/ $//'))"
        exit 0
    fi ;;
*)
    echo "check-boot.sh: unknown mode $mode" >&2; exit 2 ;;
esac
verdict "FAILED: not what this build must show; last lines:"
tail -n 5 "$log" | sed 's/^/    /'
exit 1
