/* arch/riscv64/policy.h - riscv64 backend: the generic layer's requests in
 * RISC-V fences.
 * SPDX-License-Identifier: MIT
 *
 * A page-table store is ordered before later walks only by a fence, and
 * without Svvptc a hart may cache invalid entries, so even an
 * invalid->valid update owes its page a fence (types.h states both).  A
 * section defers the fences: one SFENCE.VMA per pending page up to the
 * threshold, else one global SFENCE.VMA; with Svinval the per-page ones
 * become SINVAL.VMA between a single SFENCE.W.INVAL and a single
 * SFENCE.INVAL.IR.  These act on this hart only.  In a named address space
 * (lazy_mmu_set_space) every one of them carries the ASID in rs2.
 */
#ifndef LAZY_MMU_RISCV64_POLICY_H
#define LAZY_MMU_RISCV64_POLICY_H

/* rs2 = x0 for every address space, the ASID for one (lazy_mmu_set_space);
 * the ASID forms leave global mappings alone, which the generic layer
 * never names a space for. */
static inline void lazy_mmu__arch_inval_page(struct lazy_mmu *m, uintptr_t va, uint32_t space)
{
#if LAZY_MMU_RISCV64_SVINVAL
    if (space == LAZY_MMU_SPACE_ALL)
        lazy_mmu__riscv64_sinval_vma(m, va);
    else
        lazy_mmu__riscv64_sinval_vma_asid(m, va, space);
#else
    if (space == LAZY_MMU_SPACE_ALL)
        lazy_mmu__riscv64_sfence_vma_va(m, va);
    else
        lazy_mmu__riscv64_sfence_vma_va_asid(m, va, space);
#endif
}

static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    (void)global;
    if (space == LAZY_MMU_SPACE_ALL)
        lazy_mmu__riscv64_sfence_vma_all(m);
    else
        lazy_mmu__riscv64_sfence_vma_asid(m, space);
}

#if LAZY_MMU_RISCV64_SVINVAL
/* The stores before the SINVAL.VMAs, which are unordered among themselves. */
static inline void lazy_mmu__arch_inval_begin(struct lazy_mmu *m, bool all)
{
    if (all)
        return; /* a plain SFENCE.VMA orders everything itself */
    lazy_mmu__riscv64_sfence_w_inval(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#define lazy_mmu__arch_inval_begin lazy_mmu__arch_inval_begin

/* The SINVAL.VMAs done before any later access. */
static inline void lazy_mmu__arch_inval_end(struct lazy_mmu *m, bool all)
{
    if (all)
        return;
    lazy_mmu__riscv64_sfence_inval_ir(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#define lazy_mmu__arch_inval_end lazy_mmu__arch_inval_end
#endif

/* The other harts' round by SBI RFENCE, for a kernel's LAZY_MMU_SHOOTDOWN:
 *   #define LAZY_MMU_SHOOTDOWN(m, sd) \
 *       lazy_mmu_sbi_shootdown((m), (sd), my_other_harts(m), 0)
 * One remote_sfence_vma per round (remote_sfence_vma_asid in a named
 * address space), whatever the ranges: the ecall (a trap
 * to M-mode, an IPI to each hart and the wait) costs far more than the
 * fences it makes each hart run.  One range is sent as it is; several as
 * the span that covers them while that span is within the threshold, else
 * as everything - the firmware then runs one fence per page of the span, or
 * one for all.  No IPI handler of the kernel's: the SBI implementation
 * fences the harts and returns when they have.  A failing call leaves harts
 * with stale entries: it panics. */
static inline void lazy_mmu_sbi_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd,
                                          unsigned long hart_mask, unsigned long hart_mask_base)
{
    unsigned long start = 0, size = ~0ul; /* everything */
    long err;

    if (hart_mask == 0)
        return;
    if (!(sd->flags & LAZY_MMU_SHOOTDOWN_ALL) && sd->nranges != 0) {
        const uintptr_t first = sd->first[0];
        const uintptr_t end = sd->first[sd->nranges - 1] +
                              ((uintptr_t)sd->pages[sd->nranges - 1] << LAZY_MMU_PAGE_SHIFT);
        if (((end - first) >> LAZY_MMU_PAGE_SHIFT) <= LAZY_MMU_FLUSH_ALL_THRESHOLD) {
            start = first;
            size = end - first;
        }
    }
    if (lazy_mmu__sd_space(sd) == LAZY_MMU_SPACE_ALL)
        err = lazy_mmu__riscv64_sbi_rfence(m, 1, hart_mask, hart_mask_base, start, size, 0);
    else
        err = lazy_mmu__riscv64_sbi_rfence(m, 2, hart_mask, hart_mask_base, start, size, sd->space);
    if (err != 0)
        LAZY_MMU_PANIC("lazy_mmu_sbi_shootdown: SBI remote_sfence_vma failed");
}

#endif
