/* arch/paravirt/sim.h - the simulated paravirtual MMU: a fake hypervisor
 * over the shared model (arch/sim/model.h), for hosted builds with
 * LAZY_MMU_SIMULATE.
 * SPDX-License-Identifier: MIT
 *
 * The guest may not store to its page tables: the fake hypervisor applies
 * the hypercall's ops in order, the way the real one would (types.h), and
 * can be told to fail at op k once (.paravirt_fail_at; -1: never).
 */
#ifndef LAZY_MMU_PARAVIRT_SIM_H
#define LAZY_MMU_PARAVIRT_SIM_H

#define LAZY_MMU_SIM_NAME "paravirt"
/* The present bit the guest and the hypervisor agreed on: it belongs to the
 * hypercall interface both sides are built with, not to the policy. */
#define LAZY_MMU_SIM_VALID(pte) (((pte) & LAZY_MMU_PARAVIRT_VALID) != 0)
/* The hypervisor has written the entry by the time the call returns, and the
 * guest is an x86 guest: nothing lags, nothing invalid is cached, no
 * break-before-make, and its invalidations drop global entries too. */
#define LAZY_MMU_SIM_WALKER_LAGS 0
#define LAZY_MMU_SIM_CACHES_INVALID 0
#define LAZY_MMU_SIM_CHECK_BBM 0
#define LAZY_MMU_SIM_IS_GLOBAL(pte) 0
#define LAZY_MMU_SIM_S2_TLB 0
/* An x86 guest's PDE: PS (bit 7) makes it a 2 MiB page. */
#define LAZY_MMU_SIM_IS_TABLE(pte) (((pte) & ((lazy_mmu_pte_t)1 << 7)) == 0)
#define LAZY_MMU_SIM_TABLE_PTE(j) ((lazy_mmu_pte_t)0x3 | (lazy_mmu_pte_t)(0x7000000u + (j)) << 12)
#define LAZY_MMU_SIM_FIELDS long paravirt_fail_at;
#define LAZY_MMU_SIM_ON_INIT(s) ((s)->paravirt_fail_at = -1)
/* The simulated hypervisor is the one the context's hypercalls reach. */
#define LAZY_MMU_SIM_ON_ATTACH(m, s) ((m)->arch.hv = (s))
#define LAZY_MMU_SIM_ON_STORE(s, i, pte) \
    lazy_mmu_sim_violation((s), "paravirt: the guest stored to a page table")

#include "../sim/model.h"

static inline size_t lazy_mmu_sim_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops,
                                            size_t n)
{
    struct lazy_mmu_sim *s = (struct lazy_mmu_sim *)hv;
    size_t k, i;

    s->n.hypercalls++;
    for (k = 0; k < n; k++) {
        uint64_t cmd = ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK;
        uint64_t arg = ops[k].ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK;

        if (s->paravirt_fail_at >= 0 && (size_t)s->paravirt_fail_at == k) {
            s->paravirt_fail_at = -1;
            return k;
        }
        s->n.hypercall_ops++;
        if (cmd == LAZY_MMU_PARAVIRT_SET) {
            lazy_mmu_pte_t *ptep = (lazy_mmu_pte_t *)(uintptr_t)arg;
            if (ptep >= s->pt && ptep < s->pt + s->npages) {
                i = (size_t)(ptep - s->pt);
                s->pt[i] = s->walk[i] = ops[k].val;
            } else if (lazy_mmu__sim_is_dir(s, ptep)) {
                *ptep = s->dir_walk[ptep - s->dir] = ops[k].val;
            } else {
                *ptep = ops[k].val;
            }
        } else if (cmd == LAZY_MMU_PARAVIRT_INVLPG) {
            /* The hypervisor flushes every vCPU of the address space. */
            uint64_t p;
            for (p = 0; p < ops[k].val; p++) {
                i = lazy_mmu__sim_index(s, (uintptr_t)(arg + (p << LAZY_MMU_PAGE_SHIFT)));
                if (i < s->npages)
                    lazy_mmu__sim_drop_on(s, i, true);
            }
        } else if (cmd == LAZY_MMU_PARAVIRT_INVLPG_ASID) {
            uint64_t p;
            for (p = 0; p < (uint32_t)ops[k].val; p++) {
                i = lazy_mmu__sim_index(s, (uintptr_t)(arg + (p << LAZY_MMU_PAGE_SHIFT)));
                if (i < s->npages)
                    lazy_mmu__sim_drop_sel_on(s, i, true,
                                              (uint32_t)(ops[k].val >> 32) & 0xffffu);
            }
        } else if (cmd == LAZY_MMU_PARAVIRT_INVAL_ALL) {
            lazy_mmu__sim_drop_all_on(s, true);
        } else if (cmd == LAZY_MMU_PARAVIRT_INVAL_ASID) {
            lazy_mmu__sim_drop_all_sel_on(s, true, (uint32_t)ops[k].val & 0xffffu);
        } else {
            lazy_mmu_sim_violation(s, "paravirt: unknown hypercall op");
            return k;
        }
    }
    return n;
}
#ifndef LAZY_MMU_PARAVIRT_COMMIT
#define LAZY_MMU_PARAVIRT_COMMIT lazy_mmu_sim_hypercall
#endif

#endif
