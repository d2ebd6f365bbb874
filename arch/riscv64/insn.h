/* arch/riscv64/insn.h - riscv64 backend: the instructions.
 * SPDX-License-Identifier: MIT
 *
 * Every primitive takes the context so the simulator (arch/sim/sim.h) can
 * stand in for this file with the same names; here it is unused.  References
 * are to the RISC-V Privileged ISA, "Supervisor Memory-Management Fence
 * Instruction" (SFENCE.VMA) and the Svinval chapter.  The Svinval encodings
 * are emitted as .insn words so an assembler without the extension accepts
 * them; they only execute when LAZY_MMU_RISCV_SVINVAL is declared.
 */
#ifndef LAZY_MMU_RISCV64_INSN_H
#define LAZY_MMU_RISCV64_INSN_H

/* One aligned 64-bit store: the walker sees the old or the new entry.  It is
 * not ordered before later implicit (walker) reads until a fence. */
static inline void lazy_mmu__hw_store_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte)
{
    (void)m;
    *(volatile lazy_mmu_pte_t *)ptep = pte;
}

/* SFENCE.VMA va, x0: orders this hart's earlier page-table stores before its
 * later walks, and drops cached translations (invalid ones too) for va in
 * every address space. */
static inline void lazy_mmu__rv_sfence_vma_va(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("sfence.vma %0, zero" : : "r"(va) : "memory");
}

/* SFENCE.VMA x0, x0: the same for every address and address space. */
static inline void lazy_mmu__rv_sfence_vma_all(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("sfence.vma zero, zero" : : : "memory");
}

/* SFENCE.W.INVAL: earlier stores are ordered before later SINVAL.VMAs. */
static inline void lazy_mmu__rv_sfence_w_inval(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0c, x0, x0, x0" : : : "memory");
}

/* SINVAL.VMA va, x0: drops va's translations, unordered until
 * SFENCE.INVAL.IR. */
static inline void lazy_mmu__rv_sinval_vma(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0b, x0, %0, x0" : : "r"(va) : "memory");
}

/* SFENCE.INVAL.IR: earlier SINVAL.VMAs are ordered before later walks. */
static inline void lazy_mmu__rv_sfence_inval_ir(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0c, x0, x0, x1" : : : "memory");
}

#endif
