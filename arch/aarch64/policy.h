/* arch/aarch64/policy.h - aarch64 backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * Eagerly every update costs DSB ISHST (the walker sees the store), TLBI,
 * DSB ISH (the TLBI completed), ISB (this CPU's context synchronised).  A
 * section pays that once: one DSB ISHST before all the TLBIs, the TLBIs
 * without their DSBs, one DSB ISH and one ISB at the end; past the threshold
 * a single TLBI VMALLE1IS replaces the per-page TLBIs.  A valid entry whose
 * output address changes is broken at once: its new value is stored with
 * bit 0 clear, which the walker takes as invalid.  The publish sets bit 0 of
 * every such entry after the DSB ISH that completes the TLBIs, so a section
 * of remaps, however long, costs one DSB ISHST, the TLBIs (or one
 * VMALLE1IS), one DSB ISH, the makes, one DSB ISHST and one ISB.  Until
 * then memory holds the new value with bit 0 clear: lazy_mmu_get_pte, not a
 * plain load, returns what the entry will be.  The runs of broken entries
 * also say which pages their TLBIs are for (struct lazy_mmu_arch), so a
 * remap records nothing in the generic ranges[]: extending a run is two
 * stores, and the threshold is applied to ranges[] and runs together at
 * the publish.
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

static inline void lazy_mmu_arch_init(struct lazy_mmu *m)
{
    m->arch.nruns = 0;
    m->arch.next = NULL;
    m->arch.last_va = 0;
}
#define lazy_mmu_arch_init lazy_mmu_arch_init

/* The entries of one aligned 4 KiB block map consecutive pages (struct
 * lazy_mmu_arch); which block p lies in. */
#define LAZY_MMU__A64_BLOCK ((uintptr_t)4096)
static inline uintptr_t lazy_mmu__a64_block(const lazy_mmu_pte_t *p)
{
    return (uintptr_t)p / LAZY_MMU__A64_BLOCK;
}

/* The page entry p of synced run i maps. */
static inline uintptr_t lazy_mmu__a64_page_at(const struct lazy_mmu *m, unsigned i,
                                              const lazy_mmu_pte_t *p)
{
    uintptr_t k = ((uintptr_t)p - (uintptr_t)m->arch.run_first[i]) / sizeof(*p);
    return m->arch.run_va[i] + (k << LAZY_MMU_PAGE_SHIFT);
}

/* Do the newest run's pages follow from its first one's?  Its last entry's
 * va must be the page run_va + count - 1, and the run lie in at most two
 * blocks: within one, consecutive entries map consecutive pages, and two
 * neighbouring blocks whose ends agree do too.  Otherwise - the blocks map
 * unrelated pages, the entries are block descriptors (a 2 MiB stride), a
 * run spans a whole block whose pages were never seen, or a va was wrong -
 * the batch invalidates everything rather than guess. */
LAZY_MMU__SLOW void lazy_mmu__a64_check_newest(struct lazy_mmu *m)
{
    struct lazy_mmu_arch *a = &m->arch;
    unsigned i = a->nruns - 1;
    uintptr_t n = a->run_count[i] - 1;

    if ((m->pending & LAZY_MMU__P_ALL) ||
        (lazy_mmu__a64_block(a->next - 1) - lazy_mmu__a64_block(a->run_first[i]) <= 1 &&
         /* a release build takes a misaligned va as its page */
         (a->last_va & ~LAZY_MMU__PAGE_MASK) == a->run_va[i] + (n << LAZY_MMU_PAGE_SHIFT)))
        return;
    lazy_mmu__defer_all(m);
}

/* The inline join (lazy_mmu__a64_extend) moves next and last_va alone.
 * This makes the newest run exact again, as lazy_mmu__sync does for the
 * generic ranges[]: its count, and its pages checked against last_va;
 * whatever reads the runs calls it first. */
static inline void lazy_mmu__a64_sync(struct lazy_mmu *m)
{
    struct lazy_mmu_arch *a = &m->arch;
    unsigned i = a->nruns - 1;
    uint32_t n;

    if (a->nruns == 0)
        return;
    n = (uint32_t)(a->next - a->run_first[i]);
    if (n != a->run_count[i]) {
        a->run_count[i] = n;
        lazy_mmu__a64_check_newest(m);
    }
}

/* Addresses, not pointer subtraction: entries of two runs may lie in two
 * unrelated table pages. */
static inline bool lazy_mmu__a64_in_run(const struct lazy_mmu *m, unsigned i,
                                        const lazy_mmu_pte_t *ptep)
{
    uintptr_t off = (uintptr_t)ptep - (uintptr_t)m->arch.run_first[i];
    return off / sizeof(*ptep) < m->arch.run_count[i];
}

/* The run holding ptep, or nruns; the runs are synced afterwards.  Newest
 * first: rewrites tend to follow the update they rewrite. */
static inline unsigned lazy_mmu__a64_find_run(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    unsigned i;
    lazy_mmu__a64_sync(m);
    for (i = m->arch.nruns; i-- > 0;)
        if (lazy_mmu__a64_in_run(m, i, ptep))
            return i;
    return m->arch.nruns;
}

/* Is an invalidation of va's page still owed by this batch: recorded in
 * ranges[], or the page of an entry broken in it? */
static inline bool lazy_mmu__a64_inval_pending(struct lazy_mmu *m, uintptr_t va)
{
    unsigned i;
    lazy_mmu__a64_sync(m);
    if (lazy_mmu__inval_pending(m, va))
        return true;
    va &= ~LAZY_MMU__PAGE_MASK; /* as in lazy_mmu__defer_page */
    for (i = 0; i < m->arch.nruns; i++)
        if (va - m->arch.run_va[i] < (uintptr_t)m->arch.run_count[i] << LAZY_MMU_PAGE_SHIFT)
            return true;
    return false;
}

/* After a change of the (synced) runs: where the newest run now ends. */
static inline void lazy_mmu__a64_rearm(struct lazy_mmu *m)
{
    struct lazy_mmu_arch *a = &m->arch;
    unsigned i = a->nruns - 1;

    if (a->nruns == 0) {
        a->next = NULL;
        return;
    }
    a->next = a->run_first[i] + a->run_count[i];
    a->last_va = lazy_mmu__a64_page_at(m, i, a->next - 1);
}

/* Does ptep, descending, grow the newest run at its front? */
static inline bool lazy_mmu__a64_grows_front(const struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    return m->arch.nruns != 0 && ptep + 1 == m->arch.run_first[m->arch.nruns - 1];
}

/* Can ptep join the runs without a new slot, or is a slot free? */
static inline bool lazy_mmu__a64_room(const struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    return ptep == m->arch.next || m->arch.nruns < LAZY_MMU_BATCH_MAX ||
           lazy_mmu__a64_grows_front(m, ptep);
}

/* ptep, which maps va, extends the newest run: it is next. */
static inline void lazy_mmu__a64_extend(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, uintptr_t va)
{
    m->arch.next = ptep + 1; /* and the run lags: lazy_mmu__a64_sync */
    m->arch.last_va = va;
}

LAZY_MMU__SLOW void lazy_mmu__a64_join_slow(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, uintptr_t va)
{
    struct lazy_mmu_arch *a = &m->arch;

    lazy_mmu__a64_sync(m); /* the newest run may become an older one */
    va &= ~LAZY_MMU__PAGE_MASK; /* a release build takes a misaligned va as its page */
    /* Growing at the front, next (the newest run's end) stays; the new
     * first page must lead to last_va like the old one did. */
    if (lazy_mmu__a64_grows_front(m, ptep)) {
        a->run_first[a->nruns - 1] = ptep;
        a->run_va[a->nruns - 1] = va;
        a->run_count[a->nruns - 1]++;
        lazy_mmu__a64_check_newest(m);
        return;
    }
    /* Callers made room before the break; a full array here would be a
     * library bug, and dropping the make would leave the page unmapped. */
    LAZY_MMU__CHECK(a->nruns < LAZY_MMU_BATCH_MAX, "lazy_mmu: aarch64 run array full");
    a->run_first[a->nruns] = ptep;
    a->run_va[a->nruns] = va;
    a->run_count[a->nruns] = 1;
    a->nruns++;
    a->next = ptep + 1;
    a->last_va = va;
    /* No generic write queue here: the bit means "makes owed", and keeps
     * a batch whose TLBIs an early publish already issued pending. */
    m->pending |= LAZY_MMU__P_WRITES;
}

/* ptep holds its new value with bit 0 clear; the next publish invalidates
 * va and then sets the bit. */
static inline void lazy_mmu__a64_join(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, uintptr_t va)
{
    if (ptep == m->arch.next) {
        lazy_mmu__a64_extend(m, ptep, va);
        return;
    }
    lazy_mmu__a64_join_slow(m, ptep, va);
}

/* ptep (in run i, as lazy_mmu__a64_find_run found it: synced) becomes
 * invalid: it must leave the run, or the publish would validate it; the
 * caller records its page for invalidation instead.  Returns false, having
 * changed nothing, when that needs a slot and none is free. */
static inline bool lazy_mmu__a64_leave_run(struct lazy_mmu *m, unsigned i, lazy_mmu_pte_t *ptep)
{
    struct lazy_mmu_arch *a = &m->arch;
    uint32_t k = (uint32_t)(((uintptr_t)ptep - (uintptr_t)a->run_first[i]) / sizeof(*ptep));
    uint32_t n = a->run_count[i];
    unsigned j;

    if (n == 1) {
        for (j = i + 1; j < a->nruns; j++) {
            a->run_first[j - 1] = a->run_first[j];
            a->run_va[j - 1] = a->run_va[j];
            a->run_count[j - 1] = a->run_count[j];
        }
        a->nruns--;
    } else if (k == 0) {
        a->run_first[i]++;
        a->run_va[i] += LAZY_MMU_PAGE_SIZE;
        a->run_count[i]--;
    } else if (k == n - 1) {
        a->run_count[i]--;
    } else {
        if (a->nruns == LAZY_MMU_BATCH_MAX)
            return false;
        /* The tail becomes the newest run: if run i was the newest, the
         * entry that extends it inline stays the same. */
        a->run_count[i] = k;
        a->run_first[a->nruns] = ptep + 1;
        a->run_va[a->nruns] = lazy_mmu__a64_page_at(m, i, ptep + 1);
        a->run_count[a->nruns] = n - k - 1;
        a->nruns++;
    }
    lazy_mmu__a64_rearm(m);
    return true;
}

/* An update of an entry that is broken and waits in run i: its TLBI is
 * already pending. */
LAZY_MMU__SLOW void lazy_mmu__a64_rewrite(struct lazy_mmu *m, unsigned i, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte, uintptr_t va)
{
    if (lazy_mmu_arch_pte_valid(pte)) {
        lazy_mmu__hw_store_pte(m, ptep, pte & ~(lazy_mmu_pte_t)1); /* made with the rest */
        return;
    }
    if (!lazy_mmu__a64_leave_run(m, i, ptep)) {
        /* No slot to split the run: publish (which makes the entry), then
         * unmap it like any valid entry. */
        lazy_mmu__publish_early(m);
    }
    /* Its old translation, cached before the break, is still owed a TLBI:
     * recorded after the store, like any unmap. */
    lazy_mmu__hw_store_pte(m, ptep, pte);
    lazy_mmu__defer_page(m, va);
}

/* Break now, make at the publish.  was_valid: a remap (break-before-make);
 * else a map of an entry unmapped earlier in this batch, whose old
 * translation may be cached until its pending TLBI completes. */
static inline void lazy_mmu__a64_break(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                       lazy_mmu_pte_t pte, uintptr_t va, bool was_valid)
{
    if (!lazy_mmu__a64_room(m, ptep)) {
        lazy_mmu__publish_early(m);
        if (!was_valid) { /* its TLBI has completed: an ordinary map now */
            lazy_mmu__hw_store_pte(m, ptep, pte);
            lazy_mmu__defer_sync(m);
            return;
        }
    }
    lazy_mmu__hw_store_pte(m, ptep, pte & ~(lazy_mmu_pte_t)1);
    if (was_valid)
        LAZY_MMU__COUNT(m, bbm, 1);
    lazy_mmu__a64_join(m, ptep, va);
}

/* A remap (lazy_mmu__a64_needs_bbm) of an entry that does not extend the
 * newest run, out of line. */
LAZY_MMU__SLOW void lazy_mmu__a64_remap_slow(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                             lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu__a64_break(m, ptep, pte, va, true);
}

/* Every case, in the order that decides it; out of line.  old: *ptep as
 * lazy_mmu_arch_set_pte read it. */
LAZY_MMU__SLOW void lazy_mmu__a64_set_pte_slow(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                               lazy_mmu_pte_t old, lazy_mmu_pte_t pte, uintptr_t va)
{
    /* Broken entries read as invalid, so a remap of a valid one (the common
     * case) never searches the runs. */
    if (!lazy_mmu_arch_pte_valid(old) && m->arch.nruns != 0) {
        unsigned i = lazy_mmu__a64_find_run(m, ptep);
        if (i != m->arch.nruns) {
            lazy_mmu__a64_rewrite(m, i, ptep, pte, va);
            return;
        }
    }
    if (lazy_mmu__a64_needs_bbm(old, pte)) {
        lazy_mmu__a64_break(m, ptep, pte, va, true);
        return;
    }
    if (lazy_mmu_arch_pte_valid(pte) && !lazy_mmu_arch_pte_valid(old) &&
        lazy_mmu__a64_inval_pending(m, va)) {
        lazy_mmu__a64_break(m, ptep, pte, va, false);
        return;
    }
    lazy_mmu__hw_store_pte(m, ptep, pte);
    if (lazy_mmu_arch_pte_valid(old))
        lazy_mmu__defer_page(m, va);
    else if (lazy_mmu_arch_pte_valid(pte))
        lazy_mmu__defer_sync(m); /* no TLB holds an invalid entry */
}

/* The common cases inline, each taking the branch lazy_mmu__a64_set_pte_slow
 * would take; the rest there. */
static inline void lazy_mmu_arch_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu_pte_t old = *(const volatile lazy_mmu_pte_t *)ptep;

    if (lazy_mmu_arch_pte_valid(old)) {
        /* A valid entry is in no run (the runs hold broken entries, which
         * read as invalid).  Bit 0 of old is set, so one mask finds the
         * common protect (pte valid, same output address); then an unmap;
         * both are !lazy_mmu__a64_needs_bbm. */
        if (((old ^ pte) & (LAZY_MMU_AARCH64_OA_MASK | 1)) == 0 || !lazy_mmu_arch_pte_valid(pte)) {
            lazy_mmu__hw_store_pte(m, ptep, pte);
            lazy_mmu__defer_page(m, va);
            return;
        }
        /* needs_bbm: a remap. */
        if (ptep == m->arch.next) {
            /* A remap that extends the newest run: the join needs no slot,
             * so there is room without a test (lazy_mmu__a64_room), and
             * the run records the page. */
            lazy_mmu__hw_store_pte(m, ptep, pte & ~(lazy_mmu_pte_t)1);
            LAZY_MMU__COUNT(m, bbm, 1);
            lazy_mmu__a64_extend(m, ptep, va);
            /* Runs are pending only inside an active section (elsewhere
             * each update is published before it returns), so
             * lazy_mmu__settle's test folds away after this path. */
            LAZY_MMU__ASSUME(lazy_mmu_is_active(m),
                             "lazymmu: internal: aarch64 runs pending outside a section");
            return;
        }
        lazy_mmu__a64_remap_slow(m, ptep, pte, va);
        return;
    } else if (m->arch.nruns == 0 && m->nranges == 0 && !(m->pending & LAZY_MMU__P_ALL)) {
        /* Not broken (no runs), and no invalidation owed for any page
         * (lazy_mmu__a64_inval_pending is false). */
        lazy_mmu__hw_store_pte(m, ptep, pte);
        if (lazy_mmu_arch_pte_valid(pte))
            lazy_mmu__defer_sync(m); /* no TLB holds an invalid entry */
        return;
    }
    lazy_mmu__a64_set_pte_slow(m, ptep, old, pte, va);
}

/* A broken entry's memory holds its new value with bit 0 clear. */
static inline lazy_mmu_pte_t lazy_mmu_arch_get_pte(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    lazy_mmu_pte_t v = *(const volatile lazy_mmu_pte_t *)ptep;
    if (!lazy_mmu_arch_pte_valid(v) && m->arch.nruns != 0 &&
        lazy_mmu__a64_find_run(m, ptep) != m->arch.nruns)
        v |= 1;
    return v;
}
#define lazy_mmu_arch_get_pte lazy_mmu_arch_get_pte

/* Does ranges[] hold a page of run i?  Only a map of an entry unmapped
 * earlier in the batch puts one there (lazy_mmu__a64_break, !was_valid). */
static inline bool lazy_mmu__a64_run_in_ranges(const struct lazy_mmu *m, unsigned i)
{
    uintptr_t first = m->arch.run_va[i];
    uintptr_t last = first + ((uintptr_t)(m->arch.run_count[i] - 1) << LAZY_MMU_PAGE_SHIFT);
    unsigned j;
    for (j = 0; j < m->nranges; j++)
        if (lazy_mmu__ranges_touch(m->ranges[j].first, m->ranges[j].last, first, last))
            return true;
    return false;
}

/* Every page this batch owes a TLBI, once: ranges[], then the runs' pages
 * that ranges[] do not hold. */
static inline void lazy_mmu__a64_for_each_page(struct lazy_mmu *m,
                                               void (*fn)(struct lazy_mmu *, uintptr_t))
{
    unsigned i;
    uint32_t k;
    lazy_mmu__for_each_page(m, fn); /* syncs ranges[] */
    for (i = 0; i < m->arch.nruns; i++) {
        uintptr_t va = m->arch.run_va[i];
        if (!lazy_mmu__a64_run_in_ranges(m, i)) {
            for (k = 0; k < m->arch.run_count[i]; k++, va += LAZY_MMU_PAGE_SIZE)
                fn(m, va);
            continue;
        }
        for (k = 0; k < m->arch.run_count[i]; k++, va += LAZY_MMU_PAGE_SIZE)
            if (!lazy_mmu__inval_pending(m, va))
                fn(m, va);
    }
}

/* One TLBI of everything instead?  The generic threshold counts ranges[]
 * (and has decided alone when no entry was broken); the runs' pages are
 * added here, at the publish. */
static inline bool lazy_mmu__a64_inval_all(struct lazy_mmu *m)
{
    uintptr_t n = m->npages;
    unsigned i;
    if (m->arch.nruns == 0)
        return (m->pending & LAZY_MMU__P_ALL) != 0;
    lazy_mmu__a64_sync(m); /* may find the pages unknown: P_ALL */
    if (m->pending & LAZY_MMU__P_ALL)
        return true;
    for (i = 0; i < m->arch.nruns; i++)
        n += m->arch.run_count[i];
    return n > LAZY_MMU_FLUSH_ALL_THRESHOLD;
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
    if (lazy_mmu__a64_inval_all(m)) {
        lazy_mmu__a64_tlbi_s12_all(m);
        lazy_mmu__a64_dsb_ish(m);
        LAZY_MMU__COUNT(m, full_invals, 1);
        LAZY_MMU__COUNT(m, barriers, 1);
        return;
    }
    lazy_mmu__a64_for_each_page(m, lazy_mmu__a64_tlbi_ipa_one);
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
    if (lazy_mmu__a64_inval_all(m)) {
        lazy_mmu__a64_tlbi_all(m);
        LAZY_MMU__COUNT(m, full_invals, 1);
    } else {
        lazy_mmu__a64_for_each_page(m, lazy_mmu__a64_tlbi_one);
    }
    lazy_mmu__a64_dsb_ish(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#endif

/* Entries [p, end), made: their TLBIs have completed.  The value comes back
 * from memory, where the break (or a rewrite) left it; only this context
 * writes an entry while it is broken. */
static inline void lazy_mmu__a64_make(struct lazy_mmu *m, lazy_mmu_pte_t *p, lazy_mmu_pte_t *end)
{
    for (; p != end; p++)
        lazy_mmu__hw_store_pte(m, p, *(volatile lazy_mmu_pte_t *)p | 1);
}

/* Every entry of every run (synced by lazy_mmu__a64_invalidate), in any
 * order: all come after the DSB ISH. */
static inline void lazy_mmu__a64_make_all(struct lazy_mmu *m)
{
    struct lazy_mmu_arch *a = &m->arch;
    unsigned i;

    for (i = 0; i < a->nruns; i++)
        lazy_mmu__a64_make(m, a->run_first[i], a->run_first[i] + a->run_count[i]);
    a->nruns = 0;
    a->next = NULL;
}

static inline void lazy_mmu_arch_publish(struct lazy_mmu *m)
{
    if (m->pending & (LAZY_MMU__P_RANGES | LAZY_MMU__P_ALL | LAZY_MMU__P_WRITES)) {
        lazy_mmu__a64_dsb_ishst(m);
        LAZY_MMU__COUNT(m, barriers, 1);
        lazy_mmu__a64_invalidate(m);
        if (m->arch.nruns != 0) {
            lazy_mmu__a64_make_all(m);
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
