/* arch/riscv64/policy.h - riscv64 backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * RISC-V harts may cache invalid entries, and a page-table store is ordered
 * before later walks only by a fence, so without Svvptc even an invalid->valid
 * update needs SFENCE.VMA on its address.  A section defers the fences: one
 * SFENCE.VMA per pending page up to the threshold, else one global
 * SFENCE.VMA; with Svinval the per-page ones become SINVAL.VMA between a single
 * SFENCE.W.INVAL and a single SFENCE.INVAL.IR.
 */
#ifndef LAZY_MMU_RISCV64_POLICY_H
#define LAZY_MMU_RISCV64_POLICY_H

#if LAZY_MMU_SIMULATE
#include "../sim/sim.h"
#else
#include "insn.h"
#endif

static inline void lazy_mmu_arch_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu_pte_t old = *(const volatile lazy_mmu_pte_t *)ptep;

    lazy_mmu__hw_store_pte(m, ptep, pte);
    if (lazy_mmu_arch_pte_valid(old) ||
        (!LAZY_MMU_RISCV_SVVPTC && lazy_mmu_arch_pte_valid(pte)))
        lazy_mmu__defer_page(m, va);
}

/* SFENCE.VMA (and SINVAL.VMA) with an address covers leaf entries only; an
 * explicit request may be for a replaced table, so it gets the global fence.
 * Updates through lazy_mmu_set_pte are leaves and keep the per-page form. */
static inline void lazy_mmu_arch_invalidate_pages(struct lazy_mmu *m, uintptr_t first,
                                                  uintptr_t last)
{
    (void)first;
    (void)last;
    lazy_mmu__defer_all(m);
}
#define lazy_mmu_arch_invalidate_pages lazy_mmu_arch_invalidate_pages

static inline void lazy_mmu__rv_fence_one(struct lazy_mmu *m, uintptr_t va)
{
#if LAZY_MMU_RISCV_SVINVAL
    lazy_mmu__rv_sinval_vma(m, va);
#else
    lazy_mmu__rv_sfence_vma_va(m, va);
#endif
    LAZY_MMU__COUNT(m, page_invals, 1);
}

static inline void lazy_mmu_arch_publish(struct lazy_mmu *m)
{
    if (m->pending & LAZY_MMU__P_ALL) {
        lazy_mmu__rv_sfence_vma_all(m);
        LAZY_MMU__COUNT(m, full_invals, 1);
    } else {
#if LAZY_MMU_RISCV_SVINVAL
        lazy_mmu__rv_sfence_w_inval(m);
        lazy_mmu__for_each_page(m, lazy_mmu__rv_fence_one);
        lazy_mmu__rv_sfence_inval_ir(m);
        LAZY_MMU__COUNT(m, barriers, 2);
#else
        lazy_mmu__for_each_page(m, lazy_mmu__rv_fence_one);
#endif
    }
    lazy_mmu__batch_done(m);
}

#endif
