/* arch/generic/batch.h - the one batch: which pages the next visibility
 * point must invalidate.  Part of the generic layer (included by lazymmu.h,
 * no architecture named here); the backends read it at their publish.
 * SPDX-License-Identifier: MIT
 *
 * Every page whose translation the next visibility point must
 * invalidate is in one sorted set of disjoint, non-touching page ranges,
 * range i being range_first[i] and the range_pages[i] pages after it, and
 * npages counts them all.  That count is the whole decision: more than
 * LAZY_MMU_FLUSH_ALL_THRESHOLD pages and the batch becomes "invalidate
 * everything" (P_ALL) - one instruction, and no page is kept any more.  A
 * page is in the set once however often it changed.  When a new range finds
 * every slot taken, the two nearest ranges (the new one among them) merge,
 * adding the pages of the gap between them: cheaper than a full flush while
 * the count stays under the threshold, and that is all the batch ever does
 * to make room - it never publishes early.  Lookups are a binary search;
 * the common case, the page right after the range extended last, is a
 * compare and three stores inline (lazy_mmu__defer_page). */
#ifndef LAZY_MMU_GENERIC_BATCH_H
#define LAZY_MMU_GENERIC_BATCH_H

/* A publish the batch did not choose: a backend's own record is full
 * (aarch64 entries to make, paravirt's write queue).  Counted apart. */
static inline void lazy_mmu__publish_early(struct lazy_mmu *m)
{
    LAZY_MMU__COUNT(m, early_flushes, 1);
    lazy_mmu__publish(m);
}

static inline void lazy_mmu__disarm(struct lazy_mmu *m)
{
    m->next_va = 1;
    m->stop_va = 0;
}

static inline void lazy_mmu__defer_all(struct lazy_mmu *m)
{
    m->pending = (m->pending & ~LAZY_MMU__P_PAGES) | LAZY_MMU__P_ALL;
    m->nranges = 0;
    m->npages = 0;
    lazy_mmu__disarm(m);
}

static inline uintptr_t lazy_mmu__range_last(const struct lazy_mmu *m, unsigned i)
{
    return m->range_first[i] + ((uintptr_t)(m->range_pages[i] - 1) << LAZY_MMU_PAGE_SHIFT);
}

/* Pages strictly between page `last` and the later page `first`. */
static inline uintptr_t lazy_mmu__gap(uintptr_t last, uintptr_t first)
{
    return ((first - last) >> LAZY_MMU_PAGE_SHIFT) - 1;
}

/* Pages strictly between range i and the one after it. */
static inline uintptr_t lazy_mmu__gap_after(const struct lazy_mmu *m, unsigned i)
{
    return lazy_mmu__gap(lazy_mmu__range_last(m, i), m->range_first[i + 1]);
}

/* How many ranges start at or below va: binary search. */
static inline unsigned lazy_mmu__ranges_upto(const struct lazy_mmu *m, uintptr_t va)
{
    unsigned lo = 0, hi = m->nranges;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (m->range_first[mid] <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is an invalidation of va's page owed by this batch? */
static inline bool lazy_mmu__inval_pending(const struct lazy_mmu *m, uintptr_t va)
{
    unsigned i;
    va &= ~LAZY_MMU__PAGE_MASK; /* as in lazy_mmu__defer_page */
    if (m->pending & LAZY_MMU__P_ALL)
        return true;
    i = lazy_mmu__ranges_upto(m, va);
    return i != 0 && ((va - m->range_first[i - 1]) >> LAZY_MMU_PAGE_SHIFT) < m->range_pages[i - 1];
}

/* Arms the inline path for the pages right after range i: as many as the
 * threshold has room for, none that would touch range i + 1 (the two must
 * merge), and never the top page of the address space (the page after it
 * would be 0, which the inline path would take as the next one).  Outside
 * an active section every update is published at once: nothing to arm. */
static inline void lazy_mmu__arm(struct lazy_mmu *m, unsigned i)
{
    uintptr_t next = lazy_mmu__range_last(m, i) + LAZY_MMU_PAGE_SIZE;
    uintptr_t stop = (uintptr_t)0 - 2 * LAZY_MMU_PAGE_SIZE;
    uintptr_t room = LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages;

    lazy_mmu__disarm(m);
    if (room == 0 || !lazy_mmu_is_active(m))
        return;
    if (i + 1 < m->nranges && m->range_first[i + 1] - 2 * LAZY_MMU_PAGE_SIZE < stop)
        stop = m->range_first[i + 1] - 2 * LAZY_MMU_PAGE_SIZE;
    if (next == 0 || next > stop)
        return;
    if (((stop - next) >> LAZY_MMU_PAGE_SHIFT) >= room)
        stop = next + ((room - 1) << LAZY_MMU_PAGE_SHIFT);
    m->hint = i;
    m->next_va = next;
    m->stop_va = stop;
}

/* Removes ranges [from, from + n). */
static inline void lazy_mmu__ranges_remove(struct lazy_mmu *m, unsigned from, unsigned n)
{
    const unsigned end = m->nranges - n;
    unsigned j;
    for (j = from; j < end; j++) {
        m->range_first[j] = m->range_first[j + n];
        m->range_pages[j] = m->range_pages[j + n];
    }
    m->nranges = end;
}

/* Range i becomes [first, last], absorbing ranges i + 1 .. i + absorb, and
 * the count grows by what that adds - unless that passes the threshold. */
static inline void lazy_mmu__ranges_grow(struct lazy_mmu *m, unsigned i, unsigned absorb,
                                         uintptr_t first, uintptr_t last)
{
    uintptr_t had = 0, now = ((last - first) >> LAZY_MMU_PAGE_SHIFT) + 1;
    unsigned j;

    for (j = i; j <= i + absorb; j++)
        had += m->range_pages[j];
    if (now - had > LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages) {
        lazy_mmu__defer_all(m);
        return;
    }
    m->npages += now - had;
    m->range_first[i] = first;
    m->range_pages[i] = (uint16_t)now;
    lazy_mmu__ranges_remove(m, i + 1, absorb);
    lazy_mmu__arm(m, i);
}

/* Record that the translations of pages [first, last] (page addresses) must
 * be invalidated by the next visibility point.  Never publishes: a batch
 * with no room merges or escalates (struct lazy_mmu). */
LAZY_MMU__SLOW void lazy_mmu__defer_pages(struct lazy_mmu *m, uintptr_t first, uintptr_t last)
{
    const uintptr_t P = LAZY_MMU_PAGE_SIZE;
    uintptr_t n, best;
    unsigned i, j, k, pair;

    if (m->pending & LAZY_MMU__P_ALL)
        return;
    /* More pages than the threshold on its own (n - 1 cannot overflow; n
     * itself can only for the whole address space). */
    if (((last - first) >> LAZY_MMU_PAGE_SHIFT) >= LAZY_MMU_FLUSH_ALL_THRESHOLD) {
        lazy_mmu__defer_all(m);
        return;
    }
    n = ((last - first) >> LAZY_MMU_PAGE_SHIFT) + 1;
    /* Ranges [i, j) overlap or touch the new one: they become one.  Written
     * so that the top page of the address space does not wrap. */
    i = lazy_mmu__ranges_upto(m, first);
    if (i != 0 && (first < P || lazy_mmu__range_last(m, i - 1) >= first - P))
        i--;
    for (j = i; j < m->nranges && (m->range_first[j] <= last || m->range_first[j] - last == P); j++)
        ;
    if (j != i) {
        uintptr_t f = m->range_first[i] < first ? m->range_first[i] : first;
        uintptr_t l = lazy_mmu__range_last(m, j - 1) > last ? lazy_mmu__range_last(m, j - 1) : last;
        lazy_mmu__ranges_grow(m, i, j - i - 1, f, l);
        return;
    }
    if (n > LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages) {
        lazy_mmu__defer_all(m);
        return;
    }
    if (m->nranges == LAZY_MMU_BATCH_MAX) {
        /* No slot: merge the nearest two, the new range among them (first,
         * on a tie).  One page is the least a gap can be: the search stops
         * there, so an even-then-odd order costs no scan. */
        const uintptr_t none = (uintptr_t)-1;
        uintptr_t left = i != 0 ? lazy_mmu__gap(lazy_mmu__range_last(m, i - 1), first) : none;
        uintptr_t right = i != m->nranges ? lazy_mmu__gap(last, m->range_first[i]) : none;

        LAZY_MMU__COUNT(m, merges, 1);
        best = left < right ? left : right;
        pair = m->nranges;
        for (k = 0; best > 1 && k + 1 < m->nranges; k++)
            if (lazy_mmu__gap_after(m, k) < best) {
                best = lazy_mmu__gap_after(m, k);
                pair = k;
            }
        if (pair == m->nranges && left <= right) {
            lazy_mmu__ranges_grow(m, i - 1, 0, m->range_first[i - 1], last);
            return;
        }
        if (pair == m->nranges) {
            lazy_mmu__ranges_grow(m, i, 0, first, lazy_mmu__range_last(m, i));
            return;
        }
        if (best > LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages - n) {
            lazy_mmu__defer_all(m);
            return;
        }
        lazy_mmu__ranges_grow(m, pair, 1, m->range_first[pair], lazy_mmu__range_last(m, pair + 1));
        if (pair < i)
            i--;
    }
    for (k = m->nranges; k > i; k--) {
        m->range_first[k] = m->range_first[k - 1];
        m->range_pages[k] = m->range_pages[k - 1];
    }
    m->range_first[i] = first;
    m->range_pages[i] = (uint16_t)n;
    m->nranges++;
    m->npages += n;
    m->pending |= LAZY_MMU__P_PAGES;
    lazy_mmu__arm(m, i);
}

/* No CPU has the space loaded, and loading it drops its translations. */
static inline bool lazy_mmu__inactive(const struct lazy_mmu *m)
{
    return m->space == LAZY_MMU_SPACE_INACTIVE;
}

/* A changed entry of an inactive space: only its store must reach the
 * walkers before the space is loaded (the walker barrier, where there is
 * one). */
static inline void lazy_mmu__defer_sync_inactive(struct lazy_mmu *m)
{
#if LAZY_MMU__F_WALK_BARRIER
    m->pending |= LAZY_MMU__P_SYNC;
#else
    (void)m;
#endif
}

static inline void lazy_mmu__defer_page(struct lazy_mmu *m, uintptr_t va)
{
    /* The common case inline: the page right after the range extended last,
     * while arming allows.  A misaligned va never equals next_va (a page
     * address, or 1 with stop_va 0). */
    if (va == m->next_va && va <= m->stop_va) {
        m->range_pages[m->hint]++;
        m->npages++;
        m->next_va = va + LAZY_MMU_PAGE_SIZE;
        return;
    }
    /* Past the threshold every later update of the batch comes here: no
     * call. */
    if (m->pending & LAZY_MMU__P_ALL)
        return;
    /* An inactive space owes no invalidation (lazy_mmu__owe_page); tested
     * here, off the fast path, which is never armed in one. */
    if (lazy_mmu__inactive(m)) {
        lazy_mmu__defer_sync_inactive(m);
        return;
    }
    /* A misaligned va (only a release build lets one through) means its
     * page: ranges, TLBI operands and hypercall ops hold page addresses.
     * Masked here, off the fast path. */
    va &= ~LAZY_MMU__PAGE_MASK;
    lazy_mmu__defer_pages(m, va, va);
}

/* Nothing stale to invalidate, but the backend owes barriers (an invalid
 * entry became valid). */
static inline void lazy_mmu__defer_sync(struct lazy_mmu *m)
{
    m->pending |= LAZY_MMU__P_SYNC;
}

/* The page's translation must go by the next visibility point - unless
 * no CPU has its space loaded (lazy_mmu__defer_page checks that off its
 * fast path). */
static inline void lazy_mmu__owe_page(struct lazy_mmu *m, uintptr_t va)
{
#if LAZY_MMU__F_PAGE_INVAL
    lazy_mmu__defer_page(m, va);
#else
    (void)va;
    if (lazy_mmu__inactive(m))
        lazy_mmu__defer_sync_inactive(m);
    else
        lazy_mmu__defer_all(m);
#endif
}

/* The batch is empty: after a publish issued it, and at init. */
static inline void lazy_mmu__batch_done(struct lazy_mmu *m)
{
#if LAZY_MMU__F_GLOBAL
    m->olds = 0;
#endif
    m->pending = 0;
    m->nranges = 0;
    m->npages = 0;
    lazy_mmu__disarm(m);
}

#endif
