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
 * is kept here is only which entries wait for their make, in slots of two
 * kinds (struct lazy_mmu__make): a run of entries a fixed stride apart
 * (consecutive ones, every 13th, a descent: one slot however long), or a
 * block of 64 neighbouring entries with a bit each (any order inside it).
 * When the slots are full the short runs are folded into block slots (a
 * random order over a few table pages then takes a slot per 64 entries);
 * only when that frees nothing is the batch published early: the makes
 * cannot wait without a record.
 *
 * Until the make, memory holds the new value with the valid bit clear:
 * lazy_mmu_get_pte, not a plain load, returns what the entry will be.
 */
#ifndef LAZY_MMU_GENERIC_BBM_H
#define LAZY_MMU_GENERIC_BBM_H

#define LAZY_MMU__BLOCK_BYTES (64 * sizeof(lazy_mmu_pte_t))

static inline bool lazy_mmu__bbm_needed(lazy_mmu_pte_t old, lazy_mmu_pte_t pte)
{
    return lazy_mmu__arch_pte_valid(old) && lazy_mmu__arch_pte_valid(pte) &&
           ((old ^ pte) & LAZY_MMU__ARCH_PTE_OA) != 0;
}

static inline bool lazy_mmu__bbm_is_block(const struct lazy_mmu__make *s)
{
    return (s->at & 1) != 0;
}

static inline uintptr_t lazy_mmu__bbm_block_of(const lazy_mmu_pte_t *p)
{
    return (uintptr_t)p & ~(uintptr_t)(LAZY_MMU__BLOCK_BYTES - 1);
}

/* p's bit in its block's mask. */
static inline unsigned lazy_mmu__bbm_bit_of(const lazy_mmu_pte_t *p)
{
    return (unsigned)(((uintptr_t)p - lazy_mmu__bbm_block_of(p)) / sizeof(*p));
}

/* The slot a new entry may extend, or NULL. */
static inline const struct lazy_mmu__make *lazy_mmu__bbm_newest(const struct lazy_mmu *m)
{
    return m->nmakes != 0 ? &m->makes[m->nmakes - 1] : NULL;
}

/* Entry k of run s. */
static inline lazy_mmu_pte_t *lazy_mmu__bbm_at(const struct lazy_mmu__make *s, uint32_t k)
{
    return (lazy_mmu_pte_t *)s->at + (ptrdiff_t)s->u.run.stride * (ptrdiff_t)k;
}

/* Where the newest run continues, after any change of the slots. */
static inline void lazy_mmu__bbm_rearm(struct lazy_mmu *m)
{
    const struct lazy_mmu__make *s = lazy_mmu__bbm_newest(m);
    m->make_next = s && !lazy_mmu__bbm_is_block(s) && s->u.run.count >= 2
                       ? lazy_mmu__bbm_at(s, s->u.run.count)
                       : NULL;
}

/* The stride from the newest slot's only entry to p, or 0 when p cannot be
 * its second one.  Addresses, not pointer subtraction: the two entries may
 * lie in unrelated table pages. */
static inline int32_t lazy_mmu__bbm_stride_to(const struct lazy_mmu *m, const lazy_mmu_pte_t *p)
{
    const struct lazy_mmu__make *s = lazy_mmu__bbm_newest(m);
    intptr_t d;
    if (!s || lazy_mmu__bbm_is_block(s) || s->u.run.count != 1)
        return 0;
    d = (intptr_t)((uintptr_t)p - s->at);
    if (d % (intptr_t)sizeof(*p) != 0)
        return 0;
    d /= (intptr_t)sizeof(*p);
    return d >= -INT32_MAX && d <= INT32_MAX ? (int32_t)d : 0;
}

/* The slot holding p and p's index in it (*k: in a run, or its bit in a
 * block), or nmakes.  A scan of at most LAZY_MMU__MAKES_MAX slots, taken
 * only for an entry that reads invalid while makes are owed. */
static inline unsigned lazy_mmu__bbm_find(const struct lazy_mmu *m, const lazy_mmu_pte_t *p,
                                          unsigned *k)
{
    unsigned i;
    for (i = 0; i < m->nmakes; i++) {
        const struct lazy_mmu__make *s = &m->makes[i];
        intptr_t d, step;
        if (lazy_mmu__bbm_is_block(s)) {
            if (lazy_mmu__bbm_block_of(p) == s->at - 1 && (s->u.bits >> lazy_mmu__bbm_bit_of(p) & 1)) {
                *k = lazy_mmu__bbm_bit_of(p);
                return i;
            }
            continue;
        }
        d = (intptr_t)((uintptr_t)p - s->at);
        step = (intptr_t)sizeof(*p) * (s->u.run.count > 1 ? s->u.run.stride : 1);
        if (d % step == 0 && d / step >= 0 && d / step < (intptr_t)s->u.run.count) {
            *k = (unsigned)(d / step);
            return i;
        }
    }
    return m->nmakes;
}

static inline void lazy_mmu__bbm_remove(struct lazy_mmu *m, unsigned i)
{
    for (; i + 1 < m->nmakes; i++)
        m->makes[i] = m->makes[i + 1];
    m->nmakes--;
}

/* The block slot of block b, or nmakes. */
static inline unsigned lazy_mmu__bbm_block_slot(const struct lazy_mmu *m, uintptr_t b)
{
    unsigned i;
    for (i = 0; i < m->nmakes; i++)
        if (m->makes[i].at == (b | 1))
            return i;
    return m->nmakes;
}

/* p waits in its block's slot, which is created if need be (the caller
 * made sure there is room). */
static inline void lazy_mmu__bbm_add_to_block(struct lazy_mmu *m, const lazy_mmu_pte_t *p)
{
    uintptr_t b = lazy_mmu__bbm_block_of(p);
    unsigned j = lazy_mmu__bbm_block_slot(m, b);
    if (j == m->nmakes) {
        m->makes[j].at = b | 1;
        m->makes[j].u.bits = 0;
        m->nmakes++;
    }
    m->makes[j].u.bits |= (uint64_t)1 << lazy_mmu__bbm_bit_of(p);
}

/* With every slot taken: the short runs (random orders make pairs) go into
 * block slots, one per block they touch, where that needs no more slots
 * than it frees - the same entries, in fewer slots. */
LAZY_MMU__SLOW void lazy_mmu__bbm_fold(struct lazy_mmu *m)
{
    unsigned i = 0;
    while (i < m->nmakes) {
        const struct lazy_mmu__make s = m->makes[i];
        uint32_t k, j, fresh = 0;
        if (lazy_mmu__bbm_is_block(&s) || s.u.run.count > 8) {
            i++;
            continue;
        }
        for (k = 0; k < s.u.run.count; k++) { /* blocks it touches with no slot yet */
            uintptr_t b = lazy_mmu__bbm_block_of(lazy_mmu__bbm_at(&s, k));
            for (j = 0; j < k && lazy_mmu__bbm_block_of(lazy_mmu__bbm_at(&s, j)) != b; j++)
                ;
            fresh += j == k && lazy_mmu__bbm_block_slot(m, b) == m->nmakes;
        }
        if (fresh > LAZY_MMU__MAKES_MAX - m->nmakes + 1) {
            i++;
            continue;
        }
        lazy_mmu__bbm_remove(m, i); /* slot i now holds the next one */
        for (k = 0; k < s.u.run.count; k++)
            lazy_mmu__bbm_add_to_block(m, lazy_mmu__bbm_at(&s, k));
    }
    lazy_mmu__bbm_rearm(m);
}

/* Can p join the slots?  May fold them to find room. */
static inline bool lazy_mmu__bbm_room(struct lazy_mmu *m, const lazy_mmu_pte_t *p)
{
    if (p == m->make_next || m->nmakes < LAZY_MMU__MAKES_MAX || lazy_mmu__bbm_stride_to(m, p) != 0 ||
        lazy_mmu__bbm_block_slot(m, lazy_mmu__bbm_block_of(p)) != m->nmakes)
        return true;
    lazy_mmu__bbm_fold(m);
    return m->nmakes < LAZY_MMU__MAKES_MAX ||
           lazy_mmu__bbm_block_slot(m, lazy_mmu__bbm_block_of(p)) != m->nmakes;
}

/* p now waits for its make (the caller made room). */
static inline void lazy_mmu__bbm_join(struct lazy_mmu *m, lazy_mmu_pte_t *p)
{
    int32_t stride = lazy_mmu__bbm_stride_to(m, p);
    unsigned j;

    if (p == m->make_next) {
        m->makes[m->nmakes - 1].u.run.count++;
    } else if (stride != 0) {
        m->makes[m->nmakes - 1].u.run.stride = stride;
        m->makes[m->nmakes - 1].u.run.count = 2;
    } else if ((j = lazy_mmu__bbm_block_slot(m, lazy_mmu__bbm_block_of(p))) != m->nmakes) {
        m->makes[j].u.bits |= (uint64_t)1 << lazy_mmu__bbm_bit_of(p);
    } else {
        LAZY_MMU__CHECK(m->nmakes < LAZY_MMU__MAKES_MAX, "lazymmu: internal: makes full");
        m->makes[m->nmakes].at = (uintptr_t)p;
        m->makes[m->nmakes].u.run.stride = 0;
        m->makes[m->nmakes].u.run.count = 1;
        m->nmakes++;
    }
    lazy_mmu__bbm_rearm(m);
    m->pending |= LAZY_MMU__P_WRITES;
}

/* Entry k of slot i becomes invalid: it must leave the slot, or the publish
 * would make it valid.  Returns false, having changed nothing, when that
 * splits a run and no slot is free. */
static inline bool lazy_mmu__bbm_unmake(struct lazy_mmu *m, unsigned i, unsigned k)
{
    struct lazy_mmu__make *s = &m->makes[i];
    uint32_t n = s->u.run.count;

    if (lazy_mmu__bbm_is_block(s)) {
        s->u.bits &= ~((uint64_t)1 << k);
        if (s->u.bits == 0)
            lazy_mmu__bbm_remove(m, i);
    } else if (n == 1) {
        lazy_mmu__bbm_remove(m, i);
    } else if (k == 0) {
        s->at = (uintptr_t)lazy_mmu__bbm_at(s, 1);
        s->u.run.count--;
    } else if (k == n - 1) {
        s->u.run.count--;
    } else {
        if (m->nmakes == LAZY_MMU__MAKES_MAX)
            return false;
        m->makes[m->nmakes].at = (uintptr_t)lazy_mmu__bbm_at(s, k + 1);
        m->makes[m->nmakes].u.run.stride = s->u.run.stride;
        m->makes[m->nmakes].u.run.count = n - k - 1;
        s->u.run.count = k;
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
    struct lazy_mmu__make *s;
    if (ptep != m->make_next) {
        lazy_mmu__bbm_break(m, ptep, pte, va, true);
        return;
    }
    s = &m->makes[m->nmakes - 1];
    lazy_mmu__arch_store(m, ptep, pte & ~LAZY_MMU__ARCH_PTE_VALID);
    LAZY_MMU__COUNT(m, bbm, 1);
    s->u.run.count++;
    m->make_next += s->u.run.stride;
    lazy_mmu__defer_page(m, va);
}

/* An update of an entry that reads invalid, while makes or invalidations
 * are owed: a rewrite of a broken entry, a map that must wait for an
 * invalidation still pending for its page, or an ordinary store. */
LAZY_MMU__SLOW void lazy_mmu__bbm_from_invalid(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                               lazy_mmu_pte_t pte, uintptr_t va)
{
    unsigned k = 0, i = m->nmakes ? lazy_mmu__bbm_find(m, ptep, &k) : 0;

    if (i != m->nmakes) { /* broken, waiting in slot i; its invalidation is owed */
        if (lazy_mmu__arch_pte_valid(pte)) {
            lazy_mmu__arch_store(m, ptep, pte & ~LAZY_MMU__ARCH_PTE_VALID); /* made with the rest */
        } else {
            if (!lazy_mmu__bbm_unmake(m, i, k))
                lazy_mmu__publish_early(m); /* makes it; then an unmap like any */
            lazy_mmu__arch_store(m, ptep, pte);
        }
        lazy_mmu__defer_page(m, va); /* the same page, unless va changed */
        return;
    }
    if (lazy_mmu__arch_pte_valid(pte) && lazy_mmu__inval_pending(m, va)) {
        lazy_mmu__bbm_break(m, ptep, pte, va, false);
        return;
    }
    lazy_mmu__arch_store(m, ptep, pte);
    if (lazy_mmu__arch_pte_valid(pte))
        lazy_mmu__defer_sync(m);
}

static inline void lazy_mmu__bbm_make(struct lazy_mmu *m, lazy_mmu_pte_t *p)
{
    lazy_mmu__arch_store(m, p, *(volatile lazy_mmu_pte_t *)p | LAZY_MMU__ARCH_PTE_VALID);
}

/* Every waiting entry, made: their invalidations have completed.  The value
 * comes back from memory, where the break (or a rewrite) left it; only this
 * context writes an entry while it is broken. */
static inline void lazy_mmu__bbm_make_all(struct lazy_mmu *m)
{
    unsigned i, k;

    for (i = 0; i < m->nmakes; i++) {
        const struct lazy_mmu__make *s = &m->makes[i];
        if (lazy_mmu__bbm_is_block(s)) {
            for (k = 0; k < 64; k++)
                if (s->u.bits >> k & 1)
                    lazy_mmu__bbm_make(m, (lazy_mmu_pte_t *)(s->at - 1) + k);
            continue;
        }
        for (k = 0; k < s->u.run.count; k++)
            lazy_mmu__bbm_make(m, lazy_mmu__bbm_at(s, k));
    }
    m->nmakes = 0;
    m->make_next = NULL;
}

#endif
