/* arch/generic/remote.h - one batch, every CPU: the invalidations of a
 * visibility point as a description other CPUs apply, and the frames that
 * wait for it.  Part of the generic layer (included by update.h).
 * SPDX-License-Identifier: MIT
 *
 * The sending CPU issues its own invalidations first, then hands the same
 * description to LAZY_MMU_SHOOTDOWN, then writes the entries that waited
 * for every CPU to drop the old ones (break-before-make): a receiver that
 * dropped its entries before the sender's stores and invalidations were
 * done could walk the old entry again and keep it, and a make before the
 * round could meet the old entry still live on another CPU.  The hook returns when every receiver has
 * applied it (for an IPI: the handler's acknowledgement), so the
 * description can point into the sender's batch, which changes only after.
 * Frames handed to lazy_mmu_free_frame go back after that: no CPU can reach
 * them any more.
 *
 * No round where the backend's invalidations reach every CPU themselves
 * (F_BROADCAST: aarch64's TLBI ...IS, paravirt's hypervisor), and none when
 * the visibility point invalidated nothing: a new entry replacing an
 * invalid one is not in any TLB that does not cache invalid entries. */
#ifndef LAZY_MMU_GENERIC_REMOTE_H
#define LAZY_MMU_GENERIC_REMOTE_H

#if defined(LAZY_MMU_SHOOTDOWN) && !LAZY_MMU__F_BROADCAST
#define LAZY_MMU__REMOTE 1
#else
#define LAZY_MMU__REMOTE 0
#endif

/* The space a visibility point's invalidations name: the context's, unless
 * a global entry is among them (global entries are every space's) or the
 * backend has no per-space forms.  m->space was checked by
 * lazy_mmu_set_space, and is never LAZY_MMU_SPACE_INACTIVE here: an
 * inactive space owes no invalidation. */
static inline uint32_t lazy_mmu__space_of(const struct lazy_mmu *m, bool global)
{
    return LAZY_MMU__F_SPACES && !global ? m->space : LAZY_MMU_SPACE_ALL;
}

static inline void lazy_mmu__sd_set_space(struct lazy_mmu_shootdown *sd, uint32_t space)
{
    sd->space = space;
    if (space != LAZY_MMU_SPACE_ALL)
        sd->flags |= LAZY_MMU_SHOOTDOWN_SPACE;
}

/* Was the replaced entry global (a backend with F_GLOBAL says)? */
static inline bool lazy_mmu__old_global(const struct lazy_mmu *m, lazy_mmu_pte_t old)
{
    (void)m;
    (void)old;
#if LAZY_MMU__F_GLOBAL
    return lazy_mmu__arch_pte_global(old);
#else
    return false;
#endif
}

/* The invalidations sd describes, on this CPU, with their completion: the
 * sequence every visibility point issues for its own CPU (paravirt: the
 * ops appended to its call), and the one a receiver issues for another's. */
static inline void lazy_mmu__invalidate(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    const bool all = (sd->flags & LAZY_MMU_SHOOTDOWN_ALL) != 0;
    const uint32_t space = lazy_mmu__sd_space(sd);
    unsigned i;

    lazy_mmu__arch_inval_begin(m, all);
    if (all) {
        lazy_mmu__arch_inval_all(m, (sd->flags & LAZY_MMU_SHOOTDOWN_GLOBAL) != 0, space);
        LAZY_MMU__COUNT(m, full_invals, 1);
    } else {
#if LAZY_MMU__F_PAGE_INVAL
        const bool leaf = LAZY_MMU__F_LEAF_FORMS && (sd->flags & LAZY_MMU_SHOOTDOWN_LEAF) != 0;
        for (i = 0; i < sd->nranges; i++)
            lazy_mmu__arch_inval_range(m, sd->first[i], sd->pages[i], space, leaf);
        LAZY_MMU__COUNT(m, page_invals, sd->npages);
#endif
    }
    (void)i;
    lazy_mmu__arch_inval_end(m, all);
}

#if !LAZY_MMU__F_QUEUES_WRITES
/* The receiving side: m is a context of the receiving CPU that the code it
 * interrupted is not using (its interrupt context).  Only m's counters and
 * the backend's instructions are touched, never its batch. */
static inline void lazy_mmu_shootdown_apply(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_shootdown_apply");
    LAZY_MMU__CHECK(sd != NULL && (sd->nranges != 0 || (sd->flags & LAZY_MMU_SHOOTDOWN_ALL)),
                    "lazy_mmu_shootdown_apply: empty description");
    lazy_mmu__invalidate(m, sd);
    lazy_mmu__arch_context_sync(m);
}
#endif

/* The batch's invalidations as a description (pointing into it). */
static inline struct lazy_mmu_shootdown lazy_mmu__describe(const struct lazy_mmu *m)
{
    struct lazy_mmu_shootdown sd;
    const bool all = (m->pending & LAZY_MMU__P_ALL) != 0;
    bool global = (m->pending & LAZY_MMU__P_GLOBAL) != 0;
#if LAZY_MMU__F_GLOBAL
    global = global || lazy_mmu__arch_pte_global(m->olds);
#endif
    sd.first = m->range_first;
    sd.pages = m->range_pages;
    sd.nranges = all ? 0 : m->nranges;
    sd.npages = all ? 0 : (unsigned)m->npages;
    if (all)
        sd.flags = LAZY_MMU_SHOOTDOWN_ALL | (global ? LAZY_MMU_SHOOTDOWN_GLOBAL : 0u);
    else /* only set_pte's pages: leaves (pages, blocks) */
        sd.flags = (m->pending & LAZY_MMU__P_TABLE) ? 0u : LAZY_MMU_SHOOTDOWN_LEAF;
    lazy_mmu__sd_set_space(&sd, lazy_mmu__space_of(m, global));
    return sd;
}

/* After this CPU's part of a visibility point that invalidated sd. */
static inline void lazy_mmu__remote(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
#if LAZY_MMU__REMOTE
    LAZY_MMU__COUNT(m, shootdowns, 1);
    LAZY_MMU_SHOOTDOWN(m, sd);
#else
    (void)m;
    (void)sd;
#endif
}

/* Every CPU is past the visibility point: the frames go back, in order. */
static inline void lazy_mmu__release_frames(struct lazy_mmu *m)
{
#ifdef LAZY_MMU_FREE_FRAME
    unsigned i, n = m->nfrees;
    m->nfrees = 0; /* the hook must not use m (lazymmu.h) */
    for (i = 0; i < n; i++)
        LAZY_MMU_FREE_FRAME(m, m->frees[i]);
#else
    (void)m;
#endif
}

#endif
