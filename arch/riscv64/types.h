/* arch/riscv64/types.h - riscv64 backend: defaults and per-context fields.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_RISCV64_TYPES_H
#define LAZY_MMU_RISCV64_TYPES_H

/* Linux's tlb_flush_all_threshold. */
#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 64
#endif
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 64
#endif
/* Svvptc: invalid->valid transitions become visible to the walker without a
 * fence (a stale invalid entry can only cause a spurious fault, which the
 * kernel must then tolerate).  Declare it only if the harts implement it. */
#ifndef LAZY_MMU_RISCV64_SVVPTC
#define LAZY_MMU_RISCV64_SVVPTC 0
#endif
/* Svinval: split SFENCE.VMA into SFENCE.W.INVAL, SINVAL.VMA..., and
 * SFENCE.INVAL.IR so the per-page invalidations need not each be ordered. */
#ifndef LAZY_MMU_RISCV64_SVINVAL
#define LAZY_MMU_RISCV64_SVINVAL 0
#endif

/* The facts (lazymmu.h): a hart may cache invalid entries unless it
 * implements Svvptc, and SFENCE.VMA with an address covers leaf entries
 * only (Privileged ISA, "Supervisor Memory-Management Fence Instruction").
 * Stores go to memory at once; only the fences are deferred. */
#define LAZY_MMU__F_CACHES_INVALID (!LAZY_MMU_RISCV64_SVVPTC)
#define LAZY_MMU__F_PAGE_INVAL_LEAF 1
/* SFENCE.VMA takes an ASID in rs2 (ASIDLEN is at most 16 bits on Sv39 and
 * Sv48: satp.ASID). */
#define LAZY_MMU__F_SPACES 1
#define LAZY_MMU__ARCH_SPACE_MAX 0xffffu
#define LAZY_MMU__ARCH_HAS_STATE 0

struct lazy_mmu__arch {
    char unused; /* everything riscv64 defers lives in the generic batch */
};

static inline bool lazy_mmu__arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & 1) != 0; /* V */
}

#endif
