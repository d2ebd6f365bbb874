/* arch/generic/update.h - the decisions: what an update owes, and the
 * sequence a visibility point issues.  Part of the generic layer (included
 * by lazymmu.h after the backend's policy.h, no architecture named here).
 * SPDX-License-Identifier: MIT
 *
 * A backend states facts about its hardware (LAZY_MMU__F_*, lazymmu.h) and
 * supplies primitives; everything here is decided from them once, for
 * every backend.  What a backend's policy.h defines, all static inline:
 *
 *   required (space: an ASID, or LAZY_MMU_SPACE_ALL - always the latter
 *   without F_SPACES)
 *     lazy_mmu__arch_inval_all(m, global, space)
 *                                           invalidate every translation of
 *                                           space (global: global ones too)
 *     lazy_mmu__arch_inval_page(m, va, space)
 *                                           one page (with F_PAGE_INVAL)
 *     lazy_mmu__arch_inval_page_leaf(m, va, space)
 *                                           its leaf entries only (with
 *                                           F_LEAF_FORMS)
 *   optional, each with `#define name name` after it (defaults here)
 *     lazy_mmu__arch_init(m)                initialise m->arch
 *     lazy_mmu__arch_store(m, ptep, pte)    store an entry (default:
 *                                           lazy_mmu__hw_store_pte)
 *     lazy_mmu__arch_inval_range(m, va, n, space, leaf)
 *                                           n pages from va, their leaf
 *                                           entries only if leaf (never
 *                                           without F_LEAF_FORMS); default:
 *                                           n inval_page(_leaf); paravirt:
 *                                           one op
 *     lazy_mmu__arch_inval_begin(m, all)    before the invalidations: make
 *                                           the stores visible to walkers
 *     lazy_mmu__arch_inval_end(m, all)      wait for them to complete
 *     lazy_mmu__arch_order_stores(m)        make stores walkable (with
 *                                           F_WALK_BARRIER or F_BBM)
 *     lazy_mmu__arch_context_sync(m)        last step of every publish
 *   with F_QUEUES_WRITES
 *     lazy_mmu__arch_queue(m, ptep, pte, va)   take a write, record its page
 *     lazy_mmu__arch_queued(m, ptep, &pte)     the queued value, if any
 *     lazy_mmu__arch_send(m)                   send what is queued and the
 *                                              invalidations; false if it
 *                                              failed (the batch then stays)
 *   with LAZY_MMU__ARCH_HAS_STATE
 *     lazy_mmu__arch_enter / _leave / _pause(m, &state)
 */
#ifndef LAZY_MMU_GENERIC_UPDATE_H
#define LAZY_MMU_GENERIC_UPDATE_H

#ifndef lazy_mmu__arch_init
static inline void lazy_mmu__arch_init(struct lazy_mmu *m)
{
    (void)m;
}
#endif

#if !LAZY_MMU__F_QUEUES_WRITES && !defined(lazy_mmu__arch_store)
static inline void lazy_mmu__arch_store(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte)
{
    lazy_mmu__hw_store_pte(m, ptep, pte);
}
#endif

#if LAZY_MMU__F_PAGE_INVAL && !defined(lazy_mmu__arch_inval_range)
static inline void lazy_mmu__arch_inval_range(struct lazy_mmu *m, uintptr_t va, uint32_t n,
                                              uint32_t space, bool leaf)
{
    for (; n != 0; n--, va += LAZY_MMU_PAGE_SIZE) {
#if LAZY_MMU__F_LEAF_FORMS
        if (leaf) {
            lazy_mmu__arch_inval_page_leaf(m, va, space);
            continue;
        }
#endif
        lazy_mmu__arch_inval_page(m, va, space);
    }
    (void)leaf;
}
#endif

#ifndef lazy_mmu__arch_inval_begin
static inline void lazy_mmu__arch_inval_begin(struct lazy_mmu *m, bool all)
{
    (void)m;
    (void)all;
}
#endif

#ifndef lazy_mmu__arch_inval_end
static inline void lazy_mmu__arch_inval_end(struct lazy_mmu *m, bool all)
{
    (void)m;
    (void)all;
}
#endif

#ifndef lazy_mmu__arch_context_sync
static inline void lazy_mmu__arch_context_sync(struct lazy_mmu *m)
{
    (void)m;
}
#endif

#if LAZY_MMU__ARCH_HAS_STATE
#ifndef lazy_mmu__arch_enter
static inline void lazy_mmu__arch_enter(struct lazy_mmu *m, struct lazy_mmu__arch_state *s)
{
    (void)m;
    (void)s;
}
#endif
#ifndef lazy_mmu__arch_leave
static inline void lazy_mmu__arch_leave(struct lazy_mmu *m, struct lazy_mmu__arch_state *s)
{
    (void)m;
    (void)s;
}
#endif
#endif

#if LAZY_MMU__F_BBM
#include "bbm.h"
#endif

/* One update, classified once by the entry it replaces. */
static inline void lazy_mmu__update(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                    uintptr_t va)
{
#if LAZY_MMU__F_QUEUES_WRITES
    lazy_mmu__arch_queue(m, ptep, pte, va);
#else
    const lazy_mmu_pte_t old = *(const volatile lazy_mmu_pte_t *)ptep;

    if (lazy_mmu__arch_pte_valid(old)) {
#if LAZY_MMU__F_BBM
        if (lazy_mmu__bbm_needed(old, pte) && !lazy_mmu__inactive(m)) {
            lazy_mmu__bbm_remap(m, ptep, pte, va);
            return;
        }
#endif
        lazy_mmu__arch_store(m, ptep, pte);
        lazy_mmu__owe_page(m, va);
#if LAZY_MMU__F_GLOBAL
        m->olds |= old; /* a global one among them: lazy_mmu__issue */
#endif
        return;
    }
#if LAZY_MMU__F_BBM
    /* A broken entry reads invalid; a page unmapped earlier in the batch
     * may still be cached.  Neither while nothing is owed. */
    if (m->nmakes != 0 || (m->pending & (LAZY_MMU__P_PAGES | LAZY_MMU__P_ALL))) {
        lazy_mmu__bbm_from_invalid(m, ptep, pte, va);
        return;
    }
#endif
    lazy_mmu__arch_store(m, ptep, pte);
    if (!lazy_mmu__arch_pte_valid(pte))
        return; /* invalid -> invalid: nothing any walker could have seen */
#if LAZY_MMU__F_CACHES_INVALID
    lazy_mmu__owe_page(m, va);
#elif LAZY_MMU__F_WALK_BARRIER
    lazy_mmu__defer_sync(m);
#endif
    (void)va;
#endif
}

#include "remote.h"

#if !LAZY_MMU__F_QUEUES_WRITES
/* One update outside an active section, with nothing pending: the store and
 * exactly what it owes, issued at once - the sequence a visibility point
 * would issue for this one page, without recording it first. */
static inline void lazy_mmu__update_now(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                        uintptr_t va)
{
    const lazy_mmu_pte_t old = *(const volatile lazy_mmu_pte_t *)ptep;
    const bool inval = !lazy_mmu__inactive(m) &&
                       (lazy_mmu__arch_pte_valid(old) ||
                        (LAZY_MMU__F_CACHES_INVALID && lazy_mmu__arch_pte_valid(pte)));
    const uint16_t one = 1;
    struct lazy_mmu_shootdown sd;
#if LAZY_MMU__F_BBM
    const bool bbm = inval && lazy_mmu__bbm_needed(old, pte);

    lazy_mmu__arch_store(m, ptep, bbm ? pte & ~LAZY_MMU__ARCH_PTE_VALID : pte);
#else
    lazy_mmu__arch_store(m, ptep, pte);
#endif
    if (inval) {
        sd.first = &va;
        sd.pages = &one;
        sd.nranges = sd.npages = LAZY_MMU__F_PAGE_INVAL ? 1u : 0u;
        /* lazy_mmu_set_pte changes a leaf (a page or a block) */
        sd.flags = LAZY_MMU__F_PAGE_INVAL ? LAZY_MMU_SHOOTDOWN_LEAF : LAZY_MMU_SHOOTDOWN_ALL;
        lazy_mmu__sd_set_space(&sd, lazy_mmu__space_of(m, lazy_mmu__old_global(m, old)));
        lazy_mmu__invalidate(m, &sd);
        lazy_mmu__remote(m, &sd);
#if LAZY_MMU__F_BBM
        if (bbm) {
            lazy_mmu__arch_store(m, ptep, pte);
            lazy_mmu__arch_order_stores(m);
            LAZY_MMU__COUNT(m, bbm, 1);
        }
#endif
    } else {
        /* Nothing cached: only a new entry behind a lagging walker owes a
         * barrier. */
#if LAZY_MMU__F_WALK_BARRIER
        if (!lazy_mmu__arch_pte_valid(pte) && !lazy_mmu__inactive(m))
            return;
        lazy_mmu__arch_order_stores(m);
#else
        return;
#endif
    }
    if (!lazy_mmu__inactive(m)) /* no CPU runs on these tables */
        lazy_mmu__arch_context_sync(m);
    LAZY_MMU__COUNT(m, publishes, 1);
}
#endif

static inline lazy_mmu_pte_t lazy_mmu__read(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    lazy_mmu_pte_t v;
#if LAZY_MMU__F_QUEUES_WRITES
    if (lazy_mmu__arch_queued(m, ptep, &v))
        return v;
#endif
    v = *(const volatile lazy_mmu_pte_t *)ptep;
#if LAZY_MMU__F_BBM
    {
        unsigned k;
        if (!lazy_mmu__arch_pte_valid(v) && m->nmakes != 0 &&
            lazy_mmu__bbm_find(m, ptep, &k) != m->nmakes)
            v |= LAZY_MMU__ARCH_PTE_VALID;
    }
#endif
    (void)m;
    return v;
}

/* An explicit request: a change made by other means, which may be of a
 * table entry (so no leaf-only form for this batch) or - in
 * LAZY_MMU_SPACE_ALL - a global one.  Nothing in an inactive space. */
static inline void lazy_mmu__request_pages(struct lazy_mmu *m, uintptr_t first, uintptr_t last)
{
    if (lazy_mmu__inactive(m))
        return;
#if !LAZY_MMU__F_PAGE_INVAL || LAZY_MMU__F_PAGE_INVAL_LEAF
    (void)first;
    (void)last;
    lazy_mmu__defer_all(m);
#else
    lazy_mmu__defer_pages(m, first, last);
#endif
    m->pending |= LAZY_MMU__P_TABLE;
    if (m->space == LAZY_MMU_SPACE_ALL)
        m->pending |= LAZY_MMU__P_GLOBAL;
}

/* A table page linked where the entry was invalid: the walker must see the
 * pointer (the update's barrier), and where a CPU may have cached the
 * invalid entry one level up (F_CACHES_INVALID) a non-leaf invalidation
 * must cover it - an explicit request is one. */
static inline void lazy_mmu__link(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                  uintptr_t va)
{
    lazy_mmu__update(m, ptep, pte, va);
#if LAZY_MMU__F_CACHES_INVALID
    lazy_mmu__request_pages(m, va, va);
#endif
}

/* The table page under *ptep unlinked.  Its own entries were cleared
 * through m (their invalidations are in this batch, or published), but
 * walk caches may still hold the pointer: a non-leaf invalidation of an
 * address it mapped drops it (riscv: the full form). */
static inline void lazy_mmu__unlink(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, uintptr_t va)
{
    lazy_mmu__update(m, ptep, 0, va);
    lazy_mmu__request_pages(m, va, va);
}

static inline void lazy_mmu__request_all(struct lazy_mmu *m)
{
    if (lazy_mmu__inactive(m))
        return;
    lazy_mmu__defer_all(m);
    m->pending |= LAZY_MMU__P_TABLE;
    if (m->space == LAZY_MMU_SPACE_ALL)
        m->pending |= LAZY_MMU__P_GLOBAL;
}

/* The visibility point: invalidations (each page once, or everything) and
 * the other CPUs' round for them, then the makes, then whatever the
 * backend sends or synchronises, then the frames waiting for all that. */
static inline void lazy_mmu__issue(struct lazy_mmu *m)
{
    const bool inval = (m->pending & (LAZY_MMU__P_ALL | LAZY_MMU__P_PAGES)) != 0;

    if (m->pending & ~LAZY_MMU__P_FREES) {
        if (inval) {
            const struct lazy_mmu_shootdown sd = lazy_mmu__describe(m);
            lazy_mmu__invalidate(m, &sd);
            /* Before the makes: no CPU may hold the old entry then. */
            lazy_mmu__remote(m, &sd);
        }
#if LAZY_MMU__F_BBM
        if (m->nmakes != 0) {
            lazy_mmu__bbm_make_all(m);
            lazy_mmu__arch_order_stores(m);
        }
#endif
#if LAZY_MMU__F_WALK_BARRIER
        if (!inval)
            lazy_mmu__arch_order_stores(m); /* only new entries: make them walkable */
#endif
        if (!lazy_mmu__inactive(m))
            lazy_mmu__arch_context_sync(m);
#if LAZY_MMU__F_QUEUES_WRITES
        if (!lazy_mmu__arch_send(m))
            return; /* what was not applied stays in the batch */
#endif
    }
    lazy_mmu__batch_done(m);
    lazy_mmu__release_frames(m);
}

#endif
