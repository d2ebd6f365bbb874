/* arch/riscv64/sim.h - the simulated riscv64 MMU: insn.h's names over the
 * shared model (arch/sim/model.h), for hosted builds with LAZY_MMU_SIMULATE.
 * SPDX-License-Identifier: MIT
 *
 * The facts are the Privileged ISA's (section 4.2.1, SFENCE.VMA, and the
 * Svinval and Svvptc chapters).  Svinval's SINVAL.VMA is queued until the
 * SFENCE.INVAL.IR that orders it before later implicit references.
 */
#ifndef LAZY_MMU_RISCV64_SIM_H
#define LAZY_MMU_RISCV64_SIM_H

#define LAZY_MMU_SIM_NAME "riscv64"
#define LAZY_MMU_SIM_VALID(pte) (((pte) & 1u) != 0) /* V */
/* A hart's implicit reads of the page tables are ordered after its stores
 * only by an SFENCE.VMA (or SFENCE.W.INVAL before SINVAL.VMA). */
#define LAZY_MMU_SIM_WALKER_LAGS 1
/* Address-translation caches may hold invalid entries (SFENCE.VMA
 * invalidates them "including cached invalid entries") - unless the harts
 * implement Svvptc, which the model's .svvptc says. */
#define LAZY_MMU_SIM_CACHES_INVALID 1
/* No break-before-make rule. */
#define LAZY_MMU_SIM_CHECK_BBM 0
/* G (bit 5) marks a global mapping: every address space's, and left alone
 * by the forms that name an ASID (rs2 != x0). */
#define LAZY_MMU_SIM_IS_GLOBAL(pte) (((pte) & ((lazy_mmu_pte_t)1 << 5)) != 0)
#define LAZY_MMU_SIM_S2_TLB 0 /* no stage 2 here */
/* A valid entry with R, W and X clear points to the next level; otherwise
 * it is a leaf - a megapage one level up (section 4.3.2). */
#define LAZY_MMU_SIM_IS_TABLE(pte) (((pte) & 0xeu) == 0)
#define LAZY_MMU_SIM_TABLE_PTE(j) ((lazy_mmu_pte_t)0x1 | (lazy_mmu_pte_t)(0x7000000u + (j)) << 10)
/* LAZY_MMU_RISCV64_SVVPTC declares the harts the build runs on, so the model
 * plays those; tests may set .svvptc to play others. */
#define LAZY_MMU_SIM_ON_INIT(s) ((s)->svvptc = LAZY_MMU_RISCV64_SVVPTC != 0)

#include "../sim/model.h"

/* SFENCE.VMA orders the earlier stores before later walks and then drops
 * the page's leaf entries, cached invalid ones included; with an address
 * only leaf ones (walk caches stay: LAZY_MMU_SIM_SEL_LEAF). */
static inline void lazy_mmu__riscv64_sfence_vma_va(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i = lazy_mmu__sim_index(s, va);
    s->n.sfence_va++;
    lazy_mmu__sim_order_stores(s);
    if (i < s->npages)
        lazy_mmu__sim_drop_sel_on(s, i, false, LAZY_MMU_SIM_SEL_ANY | LAZY_MMU_SIM_SEL_LEAF);
}

static inline void lazy_mmu__riscv64_sfence_vma_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sfence_all++;
    lazy_mmu__sim_order_stores(s);
    lazy_mmu__sim_drop_all(s);
}

/* rs2 = ASID: that space's non-global entries only (section 4.2.1). */
static inline void lazy_mmu__riscv64_sfence_vma_va_asid(struct lazy_mmu *m, uintptr_t va,
                                                        uint32_t asid)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i = lazy_mmu__sim_index(s, va);
    s->n.sfence_va_asid++;
    lazy_mmu__sim_order_stores(s);
    if (i < s->npages)
        lazy_mmu__sim_drop_sel_on(
            s, i, false, (asid & 0xffffu) | LAZY_MMU_SIM_SEL_NONGLOBAL | LAZY_MMU_SIM_SEL_LEAF);
}

static inline void lazy_mmu__riscv64_sfence_vma_asid(struct lazy_mmu *m, uint32_t asid)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sfence_asid++;
    lazy_mmu__sim_order_stores(s);
    lazy_mmu__sim_drop_all_sel_on(s, false, (asid & 0xffffu) | LAZY_MMU_SIM_SEL_NONGLOBAL);
}

static inline void lazy_mmu__riscv64_sinval_vma_asid(struct lazy_mmu *m, uintptr_t va,
                                                     uint32_t asid)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sinval_asid++;
    lazy_mmu__sim_queue_inval_sel(
        s, va, (asid & 0xffffu) | LAZY_MMU_SIM_SEL_NONGLOBAL | LAZY_MMU_SIM_SEL_LEAF);
}

static inline void lazy_mmu__riscv64_sfence_w_inval(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sfence_w_inval++;
    lazy_mmu__sim_order_stores(s);
}

static inline void lazy_mmu__riscv64_sinval_vma(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sinval++;
    lazy_mmu__sim_queue_inval_sel(s, va, LAZY_MMU_SIM_SEL_ANY | LAZY_MMU_SIM_SEL_LEAF);
}

static inline void lazy_mmu__riscv64_sfence_inval_ir(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sfence_inval_ir++;
    lazy_mmu__sim_complete_invals(s);
}

/* SBI remote_sfence_vma (sel ANY) and remote_sfence_vma_asid: harts are
 * CPUs 0 .. ncpus-1; each hart of the mask runs SFENCE.VMA over the range
 * (everything when size is all ones). */
static inline long lazy_mmu__riscv64_sim_sbi_rfence(struct lazy_mmu *m, unsigned long hart_mask,
                                               unsigned long hart_mask_base, unsigned long start,
                                               unsigned long size, uint32_t sel)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    const unsigned self = s->cpu;
    unsigned long bit;
    uintptr_t va;
    long err = 0;

    s->n.sbi_rfence++;
    for (bit = 0; bit < 8 * sizeof hart_mask; bit++) {
        if (!((hart_mask >> bit) & 1))
            continue;
        if (hart_mask_base + bit >= s->ncpus) {
            err = -3; /* SBI_ERR_INVALID_PARAM: no such hart */
            continue;
        }
        s->cpu = (unsigned)(hart_mask_base + bit);
        lazy_mmu__sim_order_stores(s);
        if (size == ~0ul || (start == 0 && size == 0)) {
            lazy_mmu__sim_drop_all_sel_on(s, false, sel);
        } else {
            for (va = start & ~LAZY_MMU__PAGE_MASK; va < start + size; va += LAZY_MMU_PAGE_SIZE) {
                size_t i = lazy_mmu__sim_index(s, va);
                if (i < s->npages)
                    lazy_mmu__sim_drop_sel_on(s, i, false, sel | LAZY_MMU_SIM_SEL_LEAF);
            }
        }
    }
    s->cpu = self;
    return err;
}

static inline long lazy_mmu__riscv64_sbi_rfence(struct lazy_mmu *m, unsigned long fid,
                                           unsigned long hart_mask, unsigned long hart_mask_base,
                                           unsigned long start, unsigned long size,
                                           unsigned long asid)
{
    return lazy_mmu__riscv64_sim_sbi_rfence(
        m, hart_mask, hart_mask_base, start, size,
        fid == 2 ? (uint32_t)(asid & 0xffffu) | LAZY_MMU_SIM_SEL_NONGLOBAL : LAZY_MMU_SIM_SEL_ANY);
}

#endif
