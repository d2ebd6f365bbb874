/* arch/x86_64/policy.h - x86_64 backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * Stores go straight to the page tables (the walker is coherent with them);
 * a section defers only the INVLPGs a valid old entry needs.  At a
 * visibility point: one INVLPG per pending page up to the threshold, else one
 * full flush - a CR3 reload, or a global flush when a global entry is among
 * them (CR3 reloads keep global translations).
 *
 * With LAZY_MMU_X86_PKRU (types.h) the section's state also carries PKRU:
 * enter opens the page tables' protection key, leave restores it.
 *
 * With LAZY_MMU_STAGE2 the tables are a guest's EPT: there is no per-address
 * invalidation, so a changed present entry makes the whole batch one INVEPT.
 */
#ifndef LAZY_MMU_X86_64_POLICY_H
#define LAZY_MMU_X86_64_POLICY_H

#if LAZY_MMU_SIMULATE
#include "../sim/sim.h"
#else
#include "insn.h"
#endif

#if LAZY_MMU_X86_PKRU
/* The page-table key's AD and WD bits: PKRU bits 2k and 2k + 1 (SDM 4.6.2). */
#define LAZY_MMU__X86_PKRU_BITS ((uint32_t)3 << (2 * LAZY_MMU_X86_PKRU_KEY))

/* Opens the page-table key and returns PKRU as it was.  Only that key's
 * bits change; no WRPKRU when it is open already (a nested section). */
static inline uint32_t lazy_mmu__x86_pkru_open(struct lazy_mmu *m)
{
    uint32_t pkru = lazy_mmu__x86_rdpkru(m);
    if (pkru & LAZY_MMU__X86_PKRU_BITS)
        lazy_mmu__x86_wrpkru(m, pkru & ~LAZY_MMU__X86_PKRU_BITS);
    return pkru;
}

static inline void lazy_mmu_arch_enter(struct lazy_mmu *m, struct lazy_mmu_arch_state *s)
{
    s->pkru = lazy_mmu__x86_pkru_open(m);
}
#define lazy_mmu_arch_enter lazy_mmu_arch_enter

/* Runs after the publish (which stores no entries on x86).  Puts back what
 * this section's enter saw - not "closed": an inner section must leave the
 * key open for its outer one, and a PKRU the caller changed inside the
 * section must not outlive it. */
static inline void lazy_mmu_arch_leave(struct lazy_mmu *m, struct lazy_mmu_arch_state *s)
{
    if (lazy_mmu__x86_rdpkru(m) != s->pkru)
        lazy_mmu__x86_wrpkru(m, s->pkru);
}
#define lazy_mmu_arch_leave lazy_mmu_arch_leave

/* A pause leaves PKRU as it is (the eager writes while paused need the key
 * open) and its resume restores nothing. */
static inline void lazy_mmu_arch_pause(struct lazy_mmu *m, struct lazy_mmu_arch_state *s)
{
    (void)m;
    s->pkru = 0;
}
#endif

static inline void lazy_mmu_arch_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu_pte_t old;
#if LAZY_MMU_X86_PKRU
    /* Outside every section nobody has opened the key, and the store would
     * fault: open it around this one read and store.  An eager update is a
     * single write, so the WRPKRU pair is what a section of one would cost;
     * keeping the key open between eager calls instead would leave the
     * tables writable for as long as the caller likes, which is what the
     * key is there to prevent.  Inside a section - paused ones too - enter
     * opened it already. */
    const bool eager = lazy_mmu__sections(m) == 0;
    const uint32_t pkru = eager ? lazy_mmu__x86_pkru_open(m) : 0;
#endif

    old = *(const volatile lazy_mmu_pte_t *)ptep; /* nothing is queued on x86 */
    lazy_mmu__hw_store_pte(m, ptep, pte);
#if LAZY_MMU_X86_PKRU
    if (eager && (pkru & LAZY_MMU__X86_PKRU_BITS))
        lazy_mmu__x86_wrpkru(m, pkru); /* closed again before the INVLPG */
#endif
    if (!lazy_mmu_arch_pte_valid(old))
        return; /* not-present entries are never cached */
#if LAZY_MMU_STAGE2
    (void)va;
    lazy_mmu__defer_all(m); /* INVEPT has no per-address form */
#else
    /* After deferring: an early publish inside it clears the flag, and this
     * page belongs to the batch that follows it. */
    lazy_mmu__defer_page(m, va);
    if (old & LAZY_MMU_X86_PTE_G)
        m->arch.global = true;
#endif
}

#if LAZY_MMU_STAGE2
/* The EPTP of the guest whose EPT this context manages, as in its VMCS:
 * later visibility points use single-context INVEPT for it.  Work pending
 * from before is published first, for the EPTP it was done under. */
static inline void lazy_mmu_x86_set_eptp(struct lazy_mmu *m, uint64_t eptp)
{
    lazy_mmu__publish(m);
    m->arch.eptp = eptp;
}

static inline void lazy_mmu_arch_publish(struct lazy_mmu *m)
{
    const bool single = !LAZY_MMU_X86_EPT_ALL_CONTEXT && m->arch.eptp != 0;

    /* Everything this backend defers is "invalidate all" (set_pte, and the
     * override below for explicit requests). */
    if (m->pending & (LAZY_MMU__P_ALL | LAZY_MMU__P_RANGES)) {
        if (!lazy_mmu__x86_invept(m, single ? 1 : 2, single ? m->arch.eptp : 0))
            LAZY_MMU_PANIC("lazy_mmu: INVEPT failed (type not supported, or EPTP invalid)");
        LAZY_MMU__COUNT(m, full_invals, 1);
    }
    lazy_mmu__batch_done(m);
}

/* An explicit request for some guest-physical pages is the same one INVEPT:
 * no range is kept, so requests never fill the batch. */
static inline void lazy_mmu_arch_invalidate_pages(struct lazy_mmu *m, uintptr_t first,
                                                  uintptr_t last)
{
    (void)first;
    (void)last;
    lazy_mmu__defer_all(m);
}
#define lazy_mmu_arch_invalidate_pages lazy_mmu_arch_invalidate_pages

static inline void lazy_mmu_arch_init(struct lazy_mmu *m)
{
    m->arch.eptp = 0;
}
#define lazy_mmu_arch_init lazy_mmu_arch_init
#else

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

/* Entries changed behind the library's back may be global: if the request
 * ends in a full flush, it must drop global entries too (INVLPG always
 * does). */
static inline void lazy_mmu_arch_invalidate_pages(struct lazy_mmu *m, uintptr_t first,
                                                  uintptr_t last)
{
    lazy_mmu__defer_pages(m, first, last); /* may publish early: flag after */
    m->arch.global = true;
}
#define lazy_mmu_arch_invalidate_pages lazy_mmu_arch_invalidate_pages

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
#endif /* LAZY_MMU_STAGE2 */

#endif
