/* arch/aarch64/insn.h - aarch64 backend: the instructions.
 * SPDX-License-Identifier: MIT
 *
 * Every primitive takes the context so the simulator (arch/sim/sim.h) can
 * stand in for this file with the same names; here it is unused.  References
 * are to the Arm ARM (DDI 0487), D8.13 "Translation Lookaside Buffers" and
 * D8.14 "TLB maintenance requirements and break-before-make".
 */
#ifndef LAZY_MMU_AARCH64_INSN_H
#define LAZY_MMU_AARCH64_INSN_H

/* One aligned 64-bit store is single-copy atomic: the walker sees the old or
 * the new descriptor, never a mix.  It is not yet ordered before walks. */
static inline void lazy_mmu__hw_store_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte)
{
    (void)m;
    *(volatile lazy_mmu_pte_t *)ptep = pte;
}

/* DSB ISHST: earlier stores (the descriptors) are observed by every walker in
 * the inner-shareable domain before any later TLBI or access. */
static inline void lazy_mmu__a64_dsb_ishst(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("dsb ishst" : : : "memory");
}

/* DSB ISH: every earlier TLBI has completed on all inner-shareable PEs. */
static inline void lazy_mmu__a64_dsb_ish(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("dsb ish" : : : "memory");
}

/* ISB: later instructions are fetched and translated with the completed
 * maintenance in effect (context synchronisation event). */
static inline void lazy_mmu__a64_isb(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("isb" : : : "memory");
}

/* TLBI VAAE1IS: drops the EL1&0 entries for this VA, all ASIDs, all levels,
 * inner-shareable broadcast; the operand is VA[55:12] in bits [43:0].
 * Complete only after a DSB ISH. */
static inline void lazy_mmu__a64_tlbi_va(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("tlbi vaae1is, %0" : : "r"((uint64_t)va >> 12) : "memory");
}

/* TLBI VMALLE1IS: drops every EL1&0 entry of the current VMID, broadcast.
 * Complete only after a DSB ISH. */
static inline void lazy_mmu__a64_tlbi_all(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("tlbi vmalle1is" : : : "memory");
}

#endif
