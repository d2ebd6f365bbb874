/* examples/qemu/common/kernel.h - what an architecture's boot code gives the
 * shared scenarios (scenarios.c), and what they give back.
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

/* The kernels check the library's misuse detection too: a panic is a FAIL. */
#define LAZY_MMU_DEBUG 1
#define LAZY_MMU_STATS 1
#define LAZY_MMU_PANIC(msg) kernel_panic(msg)
void kernel_panic(const char *msg);

#include "lazymmu.h"

/* The test window: KERNEL_WINDOW_PAGES consecutive 4 KiB pages of virtual
 * address space, each mapped by its own leaf entry, all invalid after
 * arch_mmu_init().  Large enough to cross every backend's full-flush
 * threshold (aarch64: 512). */
#define KERNEL_WINDOW_PAGES 1024u
/* Physical frames the window's pages are pointed at; each is also reachable,
 * unchanged, through the kernel's own mapping (arch_frame_alias). */
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
/* A valid leaf entry for pa, read-only or read-write, kernel access. */
lazy_mmu_pte_t arch_make_pte(uint64_t pa, bool writable);
/* A load/store through va that reports a translation fault instead of taking
 * the kernel down: false when the access faulted. */
bool arch_probe_read(uintptr_t va, uint64_t *value);
bool arch_probe_write(uintptr_t va, uint64_t value);
/* A monotonic counter for wall-time ratios (TSC, CNTVCT, time CSR). */
uint64_t arch_cycles(void);

/* ---- provided by common/scenarios.c ---- */
void kernel_main(void);

#endif
