/* arch/generic/bbm.h - break-before-make, for backends whose hardware needs
 * it (LAZY_MMU__F_BBM: aarch64).  Part of the generic layer.
 * SPDX-License-Identifier: MIT
 *
 * A valid entry replaced by one with another output address must be broken
 * first, and made only once the old translation is gone on every CPU (ARM
 * ARM D8.16.1, "Using break-before-make").  The break stores the new value
 * with the valid bit clear: an invalid entry's other bits are ignored by the
 * hardware, so the page table itself keeps the value the make needs, and
 * the make is "set the valid bit" after the publish has completed the
 * invalidations.  The page goes into the batch like any other change; what
 * is kept here is only which entries wait for their make: runs of entries a
 * fixed stride apart (consecutive ones, every 13th, a descent), so a remap
 * of a whole table, of a scattered set or in even-then-odd order takes one
 * or two slots.  When a remap needs a new run and all are taken, the batch
 * is published early: the makes cannot wait without a record.
 *
 * Until the make, memory holds the new value with the valid bit clear:
 * lazy_mmu_get_pte, not a plain load, returns what the entry will be.
 */
#ifndef LAZY_MMU_GENERIC_BBM_H
#define LAZY_MMU_GENERIC_BBM_H

static inline bool lazy_mmu__bbm_needed(lazy_mmu_pte_t old, lazy_mmu_pte_t pte)
{
    return lazy_mmu_arch_pte_valid(old) && lazy_mmu_arch_pte_valid(pte) &&
           ((old ^ pte) & LAZY_MMU__ARCH_PTE_OA) != 0;
}

/* Entry k of run i. */
static inline lazy_mmu_pte_t *lazy_mmu__bbm_at(const struct lazy_mmu *m, unsigned i, unsigned k)
{
    return m->make_first[i] + (ptrdiff_t)m->make_stride[i] * (ptrdiff_t)k;
}

/* Where the newest run continues, after any change of the runs. */
static inline void lazy_mmu__bbm_rearm(struct lazy_mmu *m)
{
    unsigned i = m->nmakes - 1;
    m->make_next = m->nmakes != 0 && m->make_count[i] >= 2 && m->make_count[i] < UINT16_MAX
                       ? lazy_mmu__bbm_at(m, i, m->make_count[i])
                       : NULL;
}

/* The stride from the newest run's only entry to ptep, or 0 when ptep
 * cannot be its second one.  Addresses, not pointer subtraction: the two
 * entries may lie in unrelated table pages. */
static inline int16_t lazy_mmu__bbm_stride_to(const struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    intptr_t d;
    if (m->nmakes == 0 || m->make_count[m->nmakes - 1] != 1)
        return 0;
    d = (intptr_t)((uintptr_t)ptep - (uintptr_t)m->make_first[m->nmakes - 1]);
    if (d % (intptr_t)sizeof(*ptep) != 0)
        return 0;
    d /= (intptr_t)sizeof(*ptep);
    return d >= -INT16_MAX && d <= INT16_MAX ? (int16_t)d : 0;
}

/* Can ptep join the runs: extend the newest, be its second, or take a slot? */
static inline bool lazy_mmu__bbm_room(const struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    return ptep == m->make_next || m->nmakes < LAZY_MMU__MAKES_MAX ||
           lazy_mmu__bbm_stride_to(m, ptep) != 0;
}

/* ptep now waits for its make (the caller made room). */
static inline void lazy_mmu__bbm_join(struct lazy_mmu *m, lazy_mmu_pte_t *ptep)
{
    int16_t stride = lazy_mmu__bbm_stride_to(m, ptep);

    if (ptep == m->make_next) {
        m->make_count[m->nmakes - 1]++;
    } else if (stride != 0) {
        m->make_stride[m->nmakes - 1] = stride;
        m->make_count[m->nmakes - 1] = 2;
    } else {
        LAZY_MMU__CHECK(m->nmakes < LAZY_MMU__MAKES_MAX, "lazymmu: internal: makes full");
        m->make_first[m->nmakes] = ptep;
        m->make_stride[m->nmakes] = 0;
        m->make_count[m->nmakes] = 1;
        m->nmakes++;
    }
    lazy_mmu__bbm_rearm(m);
    m->pending |= LAZY_MMU__P_WRITES;
}

/* The run holding ptep and its index there (*k), or nmakes.  A scan of at
 * most LAZY_MMU__MAKES_MAX runs, taken only for an entry that reads invalid
 * while makes are owed. */
static inline unsigned lazy_mmu__bbm_find(const struct lazy_mmu *m, const lazy_mmu_pte_t *ptep,
                                          unsigned *k)
{
    unsigned i;
    for (i = 0; i < m->nmakes; i++) {
        intptr_t d = (intptr_t)((uintptr_t)ptep - (uintptr_t)m->make_first[i]);
        intptr_t step = (intptr_t)sizeof(*ptep) * (m->make_count[i] > 1 ? m->make_stride[i] : 1);
        if (d % step == 0 && d / step >= 0 && d / step < (intptr_t)m->make_count[i]) {
            *k = (unsigned)(d / step);
            return i;
        }
    }
    return m->nmakes;
}

/* Entry k of run i becomes invalid: it must leave the run, or the publish
 * would make it valid.  Returns false, having changed nothing, when that
 * splits the run and no slot is free. */
static inline bool lazy_mmu__bbm_unmake(struct lazy_mmu *m, unsigned i, unsigned k)
{
    unsigned n = m->make_count[i], j;

    if (n == 1) {
        for (j = i + 1; j < m->nmakes; j++) {
            m->make_first[j - 1] = m->make_first[j];
            m->make_stride[j - 1] = m->make_stride[j];
            m->make_count[j - 1] = m->make_count[j];
        }
        m->nmakes--;
    } else if (k == 0) {
        m->make_first[i] += m->make_stride[i];
        m->make_count[i]--;
    } else if (k == n - 1) {
        m->make_count[i]--;
    } else {
        if (m->nmakes == LAZY_MMU__MAKES_MAX)
            return false;
        m->make_first[m->nmakes] = lazy_mmu__bbm_at(m, i, k + 1);
        m->make_stride[m->nmakes] = m->make_stride[i];
        m->make_count[m->nmakes] = (uint16_t)(n - k - 1);
        m->make_count[i] = (uint16_t)k;
        m->nmakes++;
    }
    lazy_mmu__bbm_rearm(m);
    return true;
}

/* Break now, make at the publish.  was_valid: a remap; else a map of an
 * entry unmapped earlier in this batch, whose old translation may be cached
 * until its pending invalidation completes. */
LAZY_MMU__SLOW void lazy_mmu__bbm_break(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                        uintptr_t va, bool was_valid)
{
    if (!lazy_mmu__bbm_room(m, ptep)) {
        lazy_mmu__publish_early(m);
        if (!was_valid) { /* its invalidation has completed: an ordinary map now */
            lazy_mmu__arch_store(m, ptep, pte);
            lazy_mmu__defer_sync(m);
            return;
        }
    }
    lazy_mmu__arch_store(m, ptep, pte & ~LAZY_MMU__ARCH_PTE_VALID);
    if (was_valid)
        LAZY_MMU__COUNT(m, bbm, 1);
    lazy_mmu__bbm_join(m, ptep);
    lazy_mmu__defer_page(m, va);
}

/* A remap: inline when it extends the newest run, as a section remapping a
 * range does for every entry after its first two. */
static inline void lazy_mmu__bbm_remap(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                       uintptr_t va)
{
    if (ptep != m->make_next) {
        lazy_mmu__bbm_break(m, ptep, pte, va, true);
        return;
    }
    lazy_mmu__arch_store(m, ptep, pte & ~LAZY_MMU__ARCH_PTE_VALID);
    LAZY_MMU__COUNT(m, bbm, 1);
    if (++m->make_count[m->nmakes - 1] == UINT16_MAX)
        m->make_next = NULL;
    else
        m->make_next += m->make_stride[m->nmakes - 1];
    lazy_mmu__defer_page(m, va);
}

/* An update of an entry that reads invalid, while makes or invalidations
 * are owed: a rewrite of a broken entry, a map that must wait for an
 * invalidation still pending for its page, or an ordinary store. */
LAZY_MMU__SLOW void lazy_mmu__bbm_from_invalid(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                               lazy_mmu_pte_t pte, uintptr_t va)
{
    unsigned k = 0, i = m->nmakes ? lazy_mmu__bbm_find(m, ptep, &k) : 0;

    if (i != m->nmakes) { /* broken, waiting in run i; its invalidation is owed */
        if (lazy_mmu_arch_pte_valid(pte)) {
            lazy_mmu__arch_store(m, ptep, pte & ~LAZY_MMU__ARCH_PTE_VALID); /* made with the rest */
        } else {
            if (!lazy_mmu__bbm_unmake(m, i, k))
                lazy_mmu__publish_early(m); /* makes it; then an unmap like any */
            lazy_mmu__arch_store(m, ptep, pte);
        }
        lazy_mmu__defer_page(m, va); /* the same page, unless va changed */
        return;
    }
    if (lazy_mmu_arch_pte_valid(pte) && lazy_mmu__inval_pending(m, va)) {
        lazy_mmu__bbm_break(m, ptep, pte, va, false);
        return;
    }
    lazy_mmu__arch_store(m, ptep, pte);
    if (lazy_mmu_arch_pte_valid(pte))
        lazy_mmu__defer_sync(m);
}

/* Every waiting entry, made: their invalidations have completed.  The value
 * comes back from memory, where the break (or a rewrite) left it; only this
 * context writes an entry while it is broken. */
static inline void lazy_mmu__bbm_make_all(struct lazy_mmu *m)
{
    unsigned i, k;

    for (i = 0; i < m->nmakes; i++)
        for (k = 0; k < m->make_count[i]; k++) {
            lazy_mmu_pte_t *p = lazy_mmu__bbm_at(m, i, k);
            lazy_mmu__arch_store(m, p, *(volatile lazy_mmu_pte_t *)p | LAZY_MMU__ARCH_PTE_VALID);
        }
    m->nmakes = 0;
    m->make_next = NULL;
}

#endif
