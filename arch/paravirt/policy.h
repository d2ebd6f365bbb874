/* arch/paravirt/policy.h - paravirtual backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * Every update is queued; a visibility point sends the queue and the
 * invalidations it needs in one hypercall.  A full queue is sent early, so N
 * updates in a section cost ceil(N / LAZY_MMU_PARAVIRT_QUEUE_MAX) hypercalls
 * instead of N, and the pages they owe stay in the one batch, which decides
 * per page or everything for the whole section.  The interface is described
 * in types.h.
 */
#ifndef LAZY_MMU_PARAVIRT_POLICY_H
#define LAZY_MMU_PARAVIRT_POLICY_H

#ifndef LAZY_MMU_PARAVIRT_ERROR
#define LAZY_MMU_PARAVIRT_ERROR(m, index, op) \
    ((void)(m), (void)(index), (void)(op), \
     LAZY_MMU_PANIC("lazy_mmu paravirt: the hypervisor applied fewer updates than asked"))
#endif

static inline void lazy_mmu_paravirt_set_hypervisor(struct lazy_mmu *m, void *hv)
{
    m->arch.hv = hv;
}

static inline void lazy_mmu__arch_init(struct lazy_mmu *m)
{
    m->arch.hv = NULL;
    m->arch.nops = 0;
    m->arch.ninval = 0;
    m->arch.filter = 0;
}
#define lazy_mmu__arch_init lazy_mmu__arch_init

/* Entries are 8-byte aligned: consecutive ones get consecutive bits. */
static inline uint64_t lazy_mmu__paravirt_bit(const lazy_mmu_pte_t *ptep)
{
    return (uint64_t)1 << (((uintptr_t)ptep / sizeof(*ptep)) & 63);
}

static inline lazy_mmu_pte_t *lazy_mmu__paravirt_entry(const struct lazy_mmu_paravirt_op *op)
{
    return (lazy_mmu_pte_t *)(uintptr_t)(op->ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK);
}

/* The queued SET of ptep, or nops. */
static inline unsigned lazy_mmu__paravirt_find(const struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    unsigned i;
    if (!(m->arch.filter & lazy_mmu__paravirt_bit(ptep)))
        return m->arch.nops;
    for (i = m->arch.nops; i-- > 0;)
        if (lazy_mmu__paravirt_entry(&m->arch.ops[i]) == ptep)
            return i;
    return m->arch.nops;
}

/* Ops [from, from + n) leave the queue; the rest keep their order. */
static inline void lazy_mmu__paravirt_remove(struct lazy_mmu *m, unsigned from, unsigned n)
{
    unsigned i;
    m->arch.filter = 0;
    for (i = 0; i < m->arch.nops; i++)
        if (i < from || i >= from + n) {
            m->arch.ops[i - (i >= from + n ? n : 0)] = m->arch.ops[i];
            m->arch.filter |= lazy_mmu__paravirt_bit(lazy_mmu__paravirt_entry(&m->arch.ops[i]));
        }
    m->arch.nops -= n;
    if (m->arch.nops == 0)
        m->pending &= ~LAZY_MMU__P_WRITES;
}

/* Sends ops[0..n) and returns how many were applied.  On a short count the
 * unapplied SETs stay queued, in order, and the error hook hears of it. */
static inline size_t lazy_mmu__paravirt_commit(struct lazy_mmu *m, size_t n)
{
    size_t done = LAZY_MMU_PARAVIRT_COMMIT(m->arch.hv, m->arch.ops, n);
    LAZY_MMU__COUNT(m, hypercalls, 1);
    if (done >= n) {
        lazy_mmu__paravirt_remove(m, 0, m->arch.nops);
        return n;
    }
    /* The hook sees the op in the array the call was given; the applied
     * SETs leave the queue once it returns. */
    LAZY_MMU_PARAVIRT_ERROR(m, done, &m->arch.ops[done]);
    lazy_mmu__paravirt_remove(m, 0, done < m->arch.nops ? (unsigned)done : m->arch.nops);
    return done;
}

/* A full queue inside a section: its SETs go now, their invalidations stay
 * in the batch for the visibility point. */
LAZY_MMU__SLOW void lazy_mmu__paravirt_make_room(struct lazy_mmu *m)
{
    LAZY_MMU__COUNT(m, early_flushes, 1);
    (void)lazy_mmu__paravirt_commit(m, m->arch.nops);
    /* Only a failed call whose error hook returned leaves it full; taking
     * the write would need room we do not have. */
    if (m->arch.nops == LAZY_MMU_PARAVIRT_QUEUE_MAX)
        LAZY_MMU_PANIC("lazy_mmu: write queue still full after a failed commit");
}

/* Queues the write, replacing a queued one of the same entry (entries reach
 * the tables in the order of their last update, each once per call).  The
 * page is owed an invalidation when the entry the hypervisor holds - what a
 * TLB may have cached - is valid. */
static inline void lazy_mmu__arch_queue(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                        lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu_pte_t held = *(const volatile lazy_mmu_pte_t *)ptep;
    unsigned q = lazy_mmu__paravirt_find(m, ptep);
    struct lazy_mmu_paravirt_op *op;

    if (q != m->arch.nops)
        lazy_mmu__paravirt_remove(m, q, 1);
    else if (m->arch.nops == LAZY_MMU_PARAVIRT_QUEUE_MAX)
        lazy_mmu__paravirt_make_room(m);
    op = &m->arch.ops[m->arch.nops++];
    op->ptr = (uint64_t)(uintptr_t)ptep | LAZY_MMU_PARAVIRT_SET;
    op->val = pte;
    m->arch.filter |= lazy_mmu__paravirt_bit(ptep);
    m->pending |= LAZY_MMU__P_WRITES;
    if (lazy_mmu__arch_pte_valid(held))
        lazy_mmu__owe_page(m, va);
}

static inline bool lazy_mmu__arch_queued(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t *pte)
{
    unsigned q = lazy_mmu__paravirt_find(m, ptep);
    if (q == m->arch.nops)
        return false;
    *pte = m->arch.ops[q].val;
    return true;
}

/* The invalidation ops, behind the queued SETs. */
static inline struct lazy_mmu_paravirt_op *lazy_mmu__paravirt_inval_op(struct lazy_mmu *m)
{
    return &m->arch.ops[m->arch.nops + m->arch.ninval++];
}

static inline void lazy_mmu__arch_inval_range(struct lazy_mmu *m, uintptr_t va, uint32_t n,
                                              uint32_t space, bool leaf)
{
    struct lazy_mmu_paravirt_op *op = lazy_mmu__paravirt_inval_op(m);
    const bool all = space == LAZY_MMU_SPACE_ALL;
    (void)leaf; /* no leaf-only op: always false */
    op->ptr = (uint64_t)va | (all ? LAZY_MMU_PARAVIRT_INVLPG : LAZY_MMU_PARAVIRT_INVLPG_ASID);
    op->val = n | (all ? 0 : (uint64_t)space << 32);
}
#define lazy_mmu__arch_inval_range lazy_mmu__arch_inval_range

static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    struct lazy_mmu_paravirt_op *op = lazy_mmu__paravirt_inval_op(m);
    const bool all = space == LAZY_MMU_SPACE_ALL;
    (void)global;
    op->ptr = all ? LAZY_MMU_PARAVIRT_INVAL_ALL : LAZY_MMU_PARAVIRT_INVAL_ASID;
    op->val = all ? 0 : space;
}

/* One call: the queued SETs, then the batch's invalidations.  A failed call
 * keeps the unapplied SETs and every invalidation for the next visibility
 * point (sending one twice is harmless; dropping one is not). */
static inline bool lazy_mmu__arch_send(struct lazy_mmu *m)
{
    size_t n = m->arch.nops + m->arch.ninval;
    m->arch.ninval = 0;
    return n == 0 || lazy_mmu__paravirt_commit(m, n) == n;
}

#endif
