/* arch/x86_64/insn.h - x86_64 backend: the instructions.
 * SPDX-License-Identifier: MIT
 *
 * Every primitive takes the context so the simulator (arch/sim/sim.h) can
 * stand in for this file with the same names; here it is unused.  References
 * are to the Intel SDM, volume 3A, chapter 4.10 ("Caching Translation
 * Information"), and the AMD APM volume 2, 5.5.
 */
#ifndef LAZY_MMU_X86_64_INSN_H
#define LAZY_MMU_X86_64_INSN_H

/* One aligned 64-bit store: the page walker sees the old or the new entry,
 * never half of each.  x86 page walks observe this CPU's earlier stores
 * (SDM 4.10.2.3), so no fence is needed before an INVLPG or a later access. */
static inline void lazy_mmu__hw_store_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte)
{
    (void)m;
    *(volatile lazy_mmu_pte_t *)ptep = pte;
}

/* INVLPG: drops the TLB entries (global ones too) and the paging-structure
 * caches for the page containing va, for the current PCID (SDM 4.10.4.1).
 * It is serializing for the instruction stream, so no barrier follows. */
static inline void lazy_mmu__x86_invlpg(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* MOV to CR3 with its own value: drops every non-global TLB entry of the
 * current PCID and all paging-structure caches (SDM 4.10.4.1). */
static inline void lazy_mmu__x86_flush_nonglobal(struct lazy_mmu *m)
{
    uint64_t cr3;
    (void)m;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(cr3)); /* current root */
    __asm__ __volatile__("mov %0, %%cr3" : : "r"(cr3) : "memory"); /* reload: flush */
}

/* Drops every TLB entry, global ones included. */
static inline void lazy_mmu__x86_flush_all(struct lazy_mmu *m)
{
#if LAZY_MMU_X86_INVPCID
    /* INVPCID type 2: all translations, all PCIDs, global ones included
     * (SDM vol. 2, INVPCID).  The descriptor is ignored for type 2. */
    struct {
        uint64_t pcid, addr;
    } desc = {0, 0};
    (void)m;
    __asm__ __volatile__("invpcid %0, %1" : : "m"(desc), "r"((uint64_t)2) : "memory");
#else
    uint64_t cr4;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
    if (cr4 & ((uint64_t)1 << 7)) {
        /* Any write that changes CR4.PGE flushes all TLB entries, global
         * ones included (SDM 4.10.4.1); the second write restores it. */
        __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 & ~((uint64_t)1 << 7)) : "memory");
        __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4) : "memory");
    } else {
        /* Without CR4.PGE no entry is global: a CR3 reload drops them all. */
        lazy_mmu__x86_flush_nonglobal(m);
    }
#endif
}

#endif
