/* arch/paravirt/policy.h - paravirtual backend: what a section defers.
 * SPDX-License-Identifier: MIT
 *
 * Every update is queued; a visibility point sends the queue and the
 * invalidations it needs in one hypercall.  A full queue is sent early, so N
 * updates in a section cost ceil(N / LAZY_MMU_BATCH_MAX) hypercalls instead
 * of N.  The interface is described in types.h.
 */
#ifndef LAZY_MMU_PARAVIRT_POLICY_H
#define LAZY_MMU_PARAVIRT_POLICY_H

#if LAZY_MMU_SIMULATE
#include "../sim/sim.h"
#endif

#ifndef LAZY_MMU_PV_COMMIT
#error "lazymmu paravirt: define LAZY_MMU_PV_COMMIT to your hypercall (see arch/paravirt/types.h)"
#endif

#ifndef LAZY_MMU_PV_ERROR
#define LAZY_MMU_PV_ERROR(m, index, op) \
    ((void)(m), (void)(index), (void)(op), \
     LAZY_MMU_PANIC("lazy_mmu paravirt: the hypervisor applied fewer updates than asked"))
#endif

static inline void lazy_mmu_pv_set_hypervisor(struct lazy_mmu *m, void *hv)
{
    m->arch.hv = hv;
}

static inline void lazy_mmu_arch_init(struct lazy_mmu *m)
{
    m->arch.hv = NULL;
}
#define lazy_mmu_arch_init lazy_mmu_arch_init

/* Every update is queued as it is; which pages the batch must invalidate is
 * decided when it is sent, from the entries then in memory (the generic
 * lazy_mmu__queue_defer), so an update loads nothing. */
static inline void lazy_mmu_arch_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    lazy_mmu__queue_write(m, ptep, pte, va);
}

/* Drops the first `applied` ops' updates from the queue and keeps the rest,
 * in order, for the next visibility point. */
static inline void lazy_mmu__pv_keep_unapplied(struct lazy_mmu *m, size_t applied)
{
    unsigned i, kept = 0;

    for (i = 0; i < m->nwrites; i++)
        if (i >= applied)
            m->writes[kept++] = m->writes[i];
    lazy_mmu__queue_kept(m, kept);
    if (!kept)
        m->pending &= ~LAZY_MMU__P_WRITES;
}

static inline void lazy_mmu_arch_publish(struct lazy_mmu *m)
{
    struct lazy_mmu_pv_op *op = m->arch.ops;
    size_t n = 0, done;
    unsigned i;

    lazy_mmu__queue_prepare(m);
    for (i = 0; i < m->nwrites; i++) {
        op[n].ptr = (uint64_t)(uintptr_t)m->writes[i].ptep | LAZY_MMU_PV_SET;
        op[n].val = m->writes[i].pte;
        n++;
    }
    if (m->pending & LAZY_MMU__P_ALL) {
        op[n].ptr = LAZY_MMU_PV_INVAL_ALL;
        op[n].val = 0;
        n++;
        LAZY_MMU__COUNT(m, full_invals, 1);
    } else {
        for (i = 0; i < m->nranges; i++) {
            op[n].ptr = (uint64_t)m->ranges[i].first | LAZY_MMU_PV_INVLPG;
            op[n].val = ((m->ranges[i].last - m->ranges[i].first) >> LAZY_MMU_PAGE_SHIFT) + 1;
            LAZY_MMU__COUNT(m, page_invals, op[n].val);
            n++;
        }
    }
    if (n == 0) { /* only barriers were owed: nothing to send */
        lazy_mmu__batch_done(m);
        return;
    }
    done = LAZY_MMU_PV_COMMIT(m->arch.hv, op, n);
    LAZY_MMU__COUNT(m, hypercalls, 1);
    if (done >= n) {
        lazy_mmu__batch_done(m);
        return;
    }
    lazy_mmu__pv_keep_unapplied(m, done);
    LAZY_MMU_PV_ERROR(m, done, &op[done]);
}

#endif
