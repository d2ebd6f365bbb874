/* arch/aarch64/policy.h - aarch64 backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * Eagerly every update costs DSB ISHST (the walker sees the store), TLBI,
 * DSB ISH (the TLBI completed), ISB (this CPU's context synchronised).  A
 * section pays that once: one DSB ISHST before all the TLBIs, the TLBIs
 * without their DSBs, one DSB ISH and one ISB at the end; past the threshold
 * a single TLBI VMALLE1IS replaces the per-page TLBIs.  A valid entry whose
 * output address changes is broken (stored invalid) at once and its new value
 * queued until the invalidation has completed.
 *
 * With LAZY_MMU_STAGE2 the tables are a guest's stage 2: the per-page TLBIs
 * are IPAS2E1IS, completed by a DSB ISH and followed by one VMALLE1IS for
 * the combined entries and another DSB ISH; past the threshold one
 * VMALLS12E1IS.  Only the invalidation step differs: lazy_mmu__a64_invalidate.
 */
#ifndef LAZY_MMU_AARCH64_POLICY_H
#define LAZY_MMU_AARCH64_POLICY_H

#if LAZY_MMU_SIMULATE
#include "../sim/sim.h"
#else
#include "insn.h"
#endif

static inline bool lazy_mmu__a64_needs_bbm(lazy_mmu_pte_t old, lazy_mmu_pte_t pte)
{
    return lazy_mmu_arch_pte_valid(old) && lazy_mmu_arch_pte_valid(pte) &&
           ((old ^ pte) & LAZY_MMU_AARCH64_OA_MASK) != 0;
}

static inline void lazy_mmu_arch_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu_pte_t old = *(const volatile lazy_mmu_pte_t *)ptep;

    /* An entry broken in this batch: its invalidation is pending, and only
     * the newest value may be made.  Broken entries read as invalid, so a
     * valid one (every remap) needs no search of the queue. */
    if (!lazy_mmu_arch_pte_valid(old) && lazy_mmu__find_queued(m, ptep)) {
        lazy_mmu__queue_write(m, ptep, pte);
        return;
    }
    if (lazy_mmu__a64_needs_bbm(old, pte)) {
        lazy_mmu__hw_store_pte(m, ptep, 0); /* break */
        LAZY_MMU__COUNT(m, bbm, 1);
        lazy_mmu__defer_page(m, va);
        /* make, after the TLBI; valid until now, so nothing queued for it */
        lazy_mmu__queue_append(m, ptep, pte);
        return;
    }
    /* Invalid now, but unmapped earlier in this batch: the old translation
     * may still be cached until its TLBI completes, so the new entry is a
     * make and waits like one. */
    if (lazy_mmu_arch_pte_valid(pte) && !lazy_mmu_arch_pte_valid(old) &&
        lazy_mmu__inval_pending(m, va)) {
        lazy_mmu__queue_append(m, ptep, pte); /* not queued: checked above */
        return;
    }
    lazy_mmu__hw_store_pte(m, ptep, pte);
    if (lazy_mmu_arch_pte_valid(old))
        lazy_mmu__defer_page(m, va);
    else if (lazy_mmu_arch_pte_valid(pte))
        lazy_mmu__defer_sync(m); /* no TLB holds an invalid entry */
}

#if LAZY_MMU_STAGE2
static inline void lazy_mmu__a64_tlbi_ipa_one(struct lazy_mmu *m, uintptr_t ipa)
{
    lazy_mmu__a64_tlbi_ipa(m, ipa);
    LAZY_MMU__COUNT(m, page_invals, 1);
}

/* From stores the walker sees to old translations gone on every PE: the
 * stage 2 entries, then - only once those are gone, or a walk could refill
 * a combined entry from one - the combined entries, which are tagged by VA
 * and so can only be dropped all together. */
static inline void lazy_mmu__a64_invalidate(struct lazy_mmu *m)
{
    if (m->pending & LAZY_MMU__P_ALL) {
        lazy_mmu__a64_tlbi_s12_all(m);
        lazy_mmu__a64_dsb_ish(m);
        LAZY_MMU__COUNT(m, full_invals, 1);
        LAZY_MMU__COUNT(m, barriers, 1);
        return;
    }
    lazy_mmu__for_each_page(m, lazy_mmu__a64_tlbi_ipa_one);
    lazy_mmu__a64_dsb_ish(m);
    lazy_mmu__a64_tlbi_all(m);
    lazy_mmu__a64_dsb_ish(m);
    LAZY_MMU__COUNT(m, full_invals, 1);
    LAZY_MMU__COUNT(m, barriers, 2);
}
#else
static inline void lazy_mmu__a64_tlbi_one(struct lazy_mmu *m, uintptr_t va)
{
    lazy_mmu__a64_tlbi_va(m, va);
    LAZY_MMU__COUNT(m, page_invals, 1);
}

/* From stores the walker sees to old translations gone on every PE. */
static inline void lazy_mmu__a64_invalidate(struct lazy_mmu *m)
{
    if (m->pending & LAZY_MMU__P_ALL) {
        lazy_mmu__a64_tlbi_all(m);
        LAZY_MMU__COUNT(m, full_invals, 1);
    } else {
        lazy_mmu__for_each_page(m, lazy_mmu__a64_tlbi_one);
    }
    lazy_mmu__a64_dsb_ish(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#endif

static inline void lazy_mmu_arch_publish(struct lazy_mmu *m)
{
    if (m->pending & (LAZY_MMU__P_RANGES | LAZY_MMU__P_ALL | LAZY_MMU__P_WRITES)) {
        lazy_mmu__a64_dsb_ishst(m);
        LAZY_MMU__COUNT(m, barriers, 1);
        lazy_mmu__a64_invalidate(m);
        if (m->pending & LAZY_MMU__P_WRITES) {
            unsigned i;
            for (i = 0; i < m->nwrites; i++)
                if (m->writes[i].ptep)
                    lazy_mmu__hw_store_pte(m, m->writes[i].ptep, m->writes[i].pte);
            lazy_mmu__a64_dsb_ishst(m);
            LAZY_MMU__COUNT(m, barriers, 1);
        }
    } else {
        lazy_mmu__a64_dsb_ishst(m); /* only new entries: make them walkable */
        LAZY_MMU__COUNT(m, barriers, 1);
    }
    lazy_mmu__a64_isb(m);
    LAZY_MMU__COUNT(m, barriers, 1);
    lazy_mmu__batch_done(m);
}

#endif
