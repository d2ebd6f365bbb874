/* arch/x86_64/policy.h - x86_64 backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * Stores go straight to the page tables (the walker is coherent with them);
 * a section defers only the INVLPGs a valid old entry needs.  At a
 * visibility point: one INVLPG per pending page up to the threshold, else one
 * full flush - a CR3 reload, or a global flush when a global entry is among
 * them (CR3 reloads keep global translations).
 */
#ifndef LAZY_MMU_X86_64_POLICY_H
#define LAZY_MMU_X86_64_POLICY_H

#if LAZY_MMU_SIMULATE
#include "../sim/sim.h"
#else
#include "insn.h"
#endif

static inline void lazy_mmu_arch_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu_pte_t old = lazy_mmu_get_pte(m, ptep);

    lazy_mmu__hw_store_pte(m, ptep, pte);
    if (!lazy_mmu_arch_pte_valid(old))
        return; /* not-present entries are never cached */
    m->arch.global |= (old & LAZY_MMU_X86_PTE_G) != 0;
    lazy_mmu__defer_page(m, va);
}

static inline void lazy_mmu__x86_invlpg_one(struct lazy_mmu *m, uintptr_t va)
{
    lazy_mmu__x86_invlpg(m, va);
    LAZY_MMU__COUNT(m, page_invals, 1);
}

static inline void lazy_mmu_arch_publish(struct lazy_mmu *m)
{
    if (m->pending & LAZY_MMU__P_ALL) {
        if (LAZY_MMU_X86_GLOBAL_PAGES || m->arch.global)
            lazy_mmu__x86_flush_all(m);
        else
            lazy_mmu__x86_flush_nonglobal(m);
        LAZY_MMU__COUNT(m, full_invals, 1);
    } else {
        lazy_mmu__for_each_page(m, lazy_mmu__x86_invlpg_one);
    }
    m->arch.global = false;
    lazy_mmu__batch_done(m);
}

/* An explicit "invalidate everything" means global entries too. */
static inline void lazy_mmu_arch_invalidate_all(struct lazy_mmu *m)
{
    m->arch.global = true;
}
#define lazy_mmu_arch_invalidate_all lazy_mmu_arch_invalidate_all

static inline void lazy_mmu_arch_init(struct lazy_mmu *m)
{
    m->arch.global = false;
}
#define lazy_mmu_arch_init lazy_mmu_arch_init

#endif
