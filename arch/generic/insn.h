/* arch/generic/insn.h - what an instruction layer may leave out.  Part of
 * the generic layer: included by lazymmu.h right after the instructions
 * (arch/select.h says whose: a backend's insn.h, the simulator, or
 * LAZY_MMU_INSN_HEADER), before the backend's policy uses them.  Each
 * default stands unless the instruction layer defined its own under the
 * same name and `#define`d the name to itself.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_GENERIC_INSN_H
#define LAZY_MMU_GENERIC_INSN_H

#ifndef lazy_mmu__hw_store_pte
/* The entry store: one aligned store of the whole entry.  Every walker the
 * backends know reads an aligned entry in one access, so it sees the old
 * or the new one, never a mix; each insn.h says where its manual says so,
 * and what orders the store before the walker's reads.  The simulator
 * supplies its own (it records the store); so would a 32-bit CPU with
 * 64-bit entries. */
static inline void lazy_mmu__hw_store_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte)
{
    (void)m;
    *(volatile lazy_mmu_pte_t *)ptep = pte;
}
#endif

#endif
