/* examples/qemu/common/kernel.h - what an architecture's boot code gives the
 * shared code in common/, and what that code gives back.
 *
 * Each kernel in examples/qemu/<arch>/ boots, sets up a stack and calls
 * kernel_main(), which turns the MMU on through arch_mmu_init() and then runs
 * every scenario through lazymmu.h + arch/ with the real instructions.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernels check the library's misuse detection too: a panic is a FAIL.
 * Only common/timing.c's timed build overrides these (a release build is
 * what the wall-time figures are about); it shares no context with the
 * other translation units, whose struct lazy_mmu has another layout. */
#ifndef LAZY_MMU_DEBUG
#define LAZY_MMU_DEBUG 1
#endif
#ifndef LAZY_MMU_STATS
#define LAZY_MMU_STATS 1
#endif
#define LAZY_MMU_PANIC(msg) kernel_panic(msg)
void kernel_panic(const char *msg);
/* Other CPUs drop what each visibility point invalidated: kernel_shootdown
 * (common/klib.c) runs kernel_remote, which common/smp.c points at
 * arch_shootdown once other CPUs run.  Never called where the
 * invalidations broadcast (aarch64's TLBI ...IS). */
struct lazy_mmu;
struct lazy_mmu_shootdown;
void kernel_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
#define LAZY_MMU_SHOOTDOWN(m, sd) kernel_shootdown((m), (sd))
/* Frames and table pages handed to lazy_mmu_free_frame come back here
 * (common/klib.c records them in kernel_freed[]). */
void kernel_free_frame(struct lazy_mmu *m, uintptr_t frame);
#define LAZY_MMU_FREE_FRAME(m, frame) kernel_free_frame((m), (frame))

#include "lazymmu.h"

/* The test window: KERNEL_WINDOW_PAGES consecutive 4 KiB pages of virtual
 * address space, each mapped by its own leaf entry, all invalid after
 * arch_mmu_init().  Large enough to cross every backend's full-flush
 * threshold (aarch64: 512). */
#define KERNEL_WINDOW_PAGES 1024u
/* The timing window: the KERNEL_TIME_PAGES pages right after the test
 * window, in the same tables (arch_window_ptep(KERNEL_WINDOW_PAGES + i)),
 * used only by common/timing.c.  4096: the page count the wall-time target
 * is stated for. */
#define KERNEL_TIME_PAGES 4096u
/* Leaf entries each architecture sets up, all invalid at first; the entries
 * of page p and p + 1 are adjacent in memory for every p below this. */
#define KERNEL_ARCH_PAGES (KERNEL_WINDOW_PAGES + KERNEL_TIME_PAGES)
/* Physical frames the window's pages are pointed at; each is also reachable,
 * unchanged, through the kernel's own mapping (arch_frame_alias).  Timing
 * pages share them: a TLB is indexed by virtual address. */
#define KERNEL_FRAMES (2u * KERNEL_WINDOW_PAGES)

/* ---- provided by examples/qemu/<arch>/ ---- */
extern const char arch_name[];
void arch_putc(char c);
/* Ends the run: status 0 is PASS.  Never returns. */
void arch_exit(int status);
/* MMU on, window entries invalid, frames reachable through their alias. */
void arch_mmu_init(void);
uintptr_t arch_window_va(void);
lazy_mmu_pte_t *arch_window_ptep(unsigned page);
uint64_t arch_frame_pa(unsigned frame);
volatile uint64_t *arch_frame_alias(unsigned frame);
/* A valid leaf entry for pa, read-only or read-write, kernel access; not
 * global (aarch64 nG set, x86 and riscv G clear), as a process's pages:
 * kernel-spaces.elf maps the window differently per ASID, and a global
 * entry would serve every ASID and survive a per-ASID flush.  (x86_64's
 * kernel-global*.elf sets G on purpose: its full flushes must then be the
 * CR4.PGE toggle.) */
lazy_mmu_pte_t arch_make_pte(uint64_t pa, bool writable);
/* A load/store through va that reports a translation fault instead of taking
 * the kernel down: false when the access faulted. */
bool arch_probe_read(uintptr_t va, uint64_t *value);
bool arch_probe_write(uintptr_t va, uint64_t value);
/* A monotonic counter for wall-time ratios (TSC, CNTVCT, time CSR). */
uint64_t arch_cycles(void);

/* ---- SMP: kernel-smp*.elf (common/smp.c instead of scenarios.c) ---- */
#define KERNEL_MAX_CPUS 4u
/* Starts every other CPU the way a kernel does (x86 INIT/SIPI, PSCI
 * CPU_ON, SBI HSM hart_start), at most KERNEL_MAX_CPUS in all: each runs on
 * its own stack with the boot CPU's page tables, working exception vectors
 * and probes (arch_probe_read/write on any CPU), and calls
 * smp_secondary_main(cpu).  Returns once all are running: the number of
 * CPUs, the boot CPU included.  Single-CPU kernels never call it. */
unsigned arch_start_cpus(void);
unsigned arch_cpu_id(void); /* 0 on the boot CPU */
/* The remote round: make every other started CPU apply sd and return after
 * all have.  x86_64: smp_ipi_round; riscv64: SBI RFENCE
 * (lazy_mmu_sbi_shootdown); aarch64: never called. */
void arch_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
/* Where the remote round is IPIs: raise the shootdown interrupt on cpu,
 * whose handler calls smp_ipi_receive(). */
void arch_send_ipi(unsigned cpu);

/* ---- kernel-spaces*.elf (common/spaces.c instead of scenarios.c) ---- */
/* Two address spaces.  Space 0 is what arch_mmu_init() loads.  Space 1 is a
 * second root that maps what space 0 maps except the test window: its
 * KERNEL_WINDOW_PAGES window entries are its own (invalid at first, page p
 * and p + 1 adjacent), reached through table pages of its own, so space 0's
 * window entries and space 1's are independent.  Each space is tagged with
 * its own ASID / PCID where the CPU has them (say where it has not; then
 * both are 0 and arch_space_asid() says so). */
void arch_spaces_init(void); /* after arch_mmu_init(); turns PCIDs on (x86) */
uint32_t arch_space_asid(unsigned space); /* what lazy_mmu_set_space() gets */
/* Whether an invalidation can name a space that is not loaded: aarch64 and
 * riscv can; x86 only with INVPCID (LAZY_MMU_X86_64_INVPCID), without it the
 * library's per-PCID forms reach the loaded PCID only. */
bool arch_spaces_unloaded(void);
lazy_mmu_pte_t *arch_space_ptep(unsigned space, unsigned page); /* 0: the window's */
/* Load space's root with its ASID.  flush: drop that ASID's cached
 * translations as part of the switch (a kernel switching to tables it
 * edited while no CPU had them loaded); !flush: keep them where the
 * architecture can (x86 CR3 bit 63; aarch64 and riscv: no TLBI / SFENCE). */
void arch_space_load(unsigned space, bool flush);

/* The block window: KERNEL_BLOCK_SIZE of virtual address space at
 * arch_block_va(), aligned to it, mapped in space 0 by the one entry
 * arch_block_ptep() one level above the leaves (x86 PD entry, aarch64
 * level-2 descriptor, riscv Sv39 level-1 entry); invalid at first. */
#define KERNEL_BLOCK_SIZE (2ul << 20)
#define KERNEL_BLOCK_PAGES 512u
uintptr_t arch_block_va(void);
lazy_mmu_pte_t *arch_block_ptep(void);
/* Two KERNEL_BLOCK_SIZE-aligned physical blocks (b = 0, 1) a block entry
 * can map, each also reachable, cacheable, through the kernel's own mapping
 * at arch_block_alias(b) (common/spaces.c fills them). */
uint64_t arch_block_pa(unsigned b);
volatile uint64_t *arch_block_alias(unsigned b);
/* A valid block / huge / megapage entry for pa (2 MiB aligned). */
lazy_mmu_pte_t arch_make_block(uint64_t pa, bool writable);
/* KERNEL_TABLE_PAGES page-aligned leaf-table pages the kernel may link under
 * arch_block_ptep(), writable at arch_table(t); arch_make_table() is the
 * entry one level up that points at one. */
#define KERNEL_TABLE_PAGES 2u
lazy_mmu_pte_t *arch_table(unsigned t);
uint64_t arch_table_pa(unsigned t);
lazy_mmu_pte_t arch_make_table(uint64_t table_pa);

/* ---- provided by common/smp.c ---- */
void smp_secondary_main(unsigned cpu); /* never returns */
/* IPI every other started CPU with sd and wait until each has applied it. */
void smp_ipi_round(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
void smp_ipi_receive(void);

/* ---- provided by common/klib.c ---- */
/* What kernel_shootdown runs; NULL (single CPU, or a negative control's
 * hook that does nothing): nothing.  Counted in kernel_remote_rounds. */
extern void (*kernel_remote)(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
extern unsigned long kernel_remote_rounds;
/* What kernel_free_frame was given, in order (the first KERNEL_FREED_MAX). */
#define KERNEL_FREED_MAX 8u
extern uintptr_t kernel_freed[KERNEL_FREED_MAX];
extern unsigned kernel_nfreed;
void kputs(const char *s);
void kput_u64(uint64_t v);
/* v in decimal, written into buf: for a line put together from strings. */
const char *kdecimal(char buf[24], uint64_t v);
void kput_hex(uint64_t v);
uint64_t kmedian(uint64_t *v, unsigned n); /* sorts v */
/* "page_invals=.. full_invals=.. barriers=.. bbm=.. publishes=..": the
 * counters the count checks read, in the order they parse them. */
void kput_stats(const struct lazy_mmu_stats *st);
/* ": page N WHAT got X want Y" and a newline: the tail of every line that
 * reports a page reading the wrong thing. */
void kput_bad_page(unsigned page, const char *what, uint64_t got, uint64_t want);
/* memset, memcpy, memmove, memcmp: freestanding compilers may still emit
 * calls to them. */

/* Every page-table write of the scenarios.  A negative control
 * (KERNEL_NEGATIVE_CONTROL) writes around the library instead, as a kernel
 * that forgot it would: a plain store, no invalidation, no barrier, nothing
 * counted - its checks must then fail. */
static inline void kernel_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                  uintptr_t va)
{
#ifdef KERNEL_NEGATIVE_CONTROL
    (void)m;
    (void)va;
    *(volatile lazy_mmu_pte_t *)ptep = pte;
#else
    lazy_mmu_set_pte(m, ptep, pte, va);
#endif
}

/* ---- provided by common/scenarios.c (common/smp.c in the SMP kernels) ---- */
void kernel_main(void);
/* What kernel_fill_frames writes into the first word of a frame (and the
 * complement into its last, the rest of the frame the same as the first). */
static inline uint64_t kernel_frame_pattern(unsigned frame)
{
    return 0x5a17000000000000ull | ((uint64_t)frame << 8) | 0xa5;
}
/* common/klib.c: frames 0 .. n-1 get their patterns, through their alias
 * (before the MMU goes on). */
void kernel_fill_frames(unsigned n);

/* ---- provided by common/timing.c, built twice ---- */
/* Debug + stats build: each timed operation once, printing its COUNT line
 * (lazy_mmu_get_stats).  Returns the number of failed checks. */
unsigned kernel_count_ops(void);
/* Release build: the TIME lines, eager vs lazy medians.  Returns the number
 * of failed checks. */
unsigned kernel_time_ops(void);

/* ---- provided by common/peers.c, built twice ---- */
/* lazymmu against bench/peers.h's strategies, in the same boot: the PEER
 * lines.  Does nothing unless built with KERNEL_PEERS.  Returns the number
 * of failed checks. */
unsigned kernel_peer_ops(void);

#endif
