/* arch/riscv64/insn.h - riscv64 backend: the instructions.
 * SPDX-License-Identifier: MIT
 *
 * Every primitive takes the context so the simulator (sim.h beside this file) can
 * stand in for this file with the same names; here it is unused.
 *
 * References are to the RISC-V Privileged ISA (version 20211203, Supervisor-
 * Level ISA 1.12): "Supervisor Memory-Management Fence Instruction"
 * (SFENCE.VMA, section 4.2.1) and the chapter '"Svinval" Standard Extension
 * for Fine-Grained Address-Translation Cache Invalidation, Version 1.0'.
 *
 * The Svinval instructions are emitted as .insn words so an assembler
 * without the extension accepts them; they only execute when
 * LAZY_MMU_RISCV64_SVINVAL is declared, and trap as illegal instructions on a
 * hart without Svinval.  `.insn r OPCODE, FUNCT3, FUNCT7, RD, RS1, RS2`
 * encodes funct7[31:25] rs2[24:20] rs1[19:15] funct3[14:12] rd[11:7]
 * opcode[6:0]; the words below match binutils 2.40's opcode table
 * (riscv64-linux-gnu-objdump -d of the mnemonics assembled with
 * -march=rv64..._svinval):
 *   SFENCE.VMA  rs1, x0   0x12000073 | rs1 << 15   funct7 0001001
 *   SINVAL.VMA  rs1, rs2  0x16000073 | rs2 << 20 | rs1 << 15   funct7 0001011
 *   SFENCE.W.INVAL        0x18000073               funct7 0001100, rs2 = 0
 *   SFENCE.INVAL.IR       0x18100073               funct7 0001100, rs2 = 1
 */
#ifndef LAZY_MMU_RISCV64_INSN_H
#define LAZY_MMU_RISCV64_INSN_H

/* The entry store is the generic one (arch/generic/insn.h), one aligned
 * 64-bit store: the walker sees the old or the new entry, never a mix (the
 * spec warns that narrower partial stores may be walked half-done).  The
 * store is not ordered before this hart's later implicit (walker) reads
 * until a fence below. */

/* SFENCE.VMA va, x0 (rs1 != x0, rs2 = x0; section 4.2.1): orders this hart's
 * earlier reads and writes of the *leaf* entries for va before its later
 * implicit reads of them, and invalidates every address-translation cache
 * entry holding a leaf entry for va, in all address spaces (global ones
 * included), including cached invalid entries.  It covers leaf entries only:
 * a changed non-leaf (table) entry needs the global form below, as the same
 * section's commentary says.  Local to this hart: other harts need their own
 * fence (a shootdown). */
static inline void lazy_mmu__riscv64_sfence_vma_va(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("sfence.vma %0, zero" : : "r"(va) : "memory");
}

/* SFENCE.VMA x0, x0 (section 4.2.1): orders all earlier reads and writes of
 * every level of the page tables before later implicit reads, and
 * invalidates all address-translation cache entries, for all address spaces.
 * The one form that also covers non-leaf entries. */
static inline void lazy_mmu__riscv64_sfence_vma_all(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("sfence.vma zero, zero" : : : "memory");
}

/* SFENCE.VMA va, asid (rs1, rs2 != x0; section 4.2.1): as SFENCE.VMA va, x0
 * but for the one address space rs2 names: it invalidates the leaf entries
 * for va of that ASID only, and not global mappings.  The ASID is the
 * kernel's, as it writes satp.ASID. */
static inline void lazy_mmu__riscv64_sfence_vma_va_asid(struct lazy_mmu *m, uintptr_t va,
                                                        uint32_t asid)
{
    (void)m;
    __asm__ __volatile__("sfence.vma %0, %1" : : "r"(va), "r"((unsigned long)asid) : "memory");
}

/* SFENCE.VMA x0, asid (section 4.2.1): orders earlier reads and writes of
 * every level of the page tables of that address space before later
 * implicit reads, and invalidates every address-translation cache entry of
 * that ASID - non-leaf ones included - except global mappings: one address
 * space's full flush, every other ASID's entries kept. */
static inline void lazy_mmu__riscv64_sfence_vma_asid(struct lazy_mmu *m, uint32_t asid)
{
    (void)m;
    __asm__ __volatile__("sfence.vma zero, %0" : : "r"((unsigned long)asid) : "memory");
}

/* SFENCE.W.INVAL (Svinval): guarantees that earlier stores already visible
 * to this hart (the entries just written) are ordered before its later
 * SINVAL.VMAs.  Invalidates nothing itself. */
static inline void lazy_mmu__riscv64_sfence_w_inval(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0c, x0, x0, x0" : : : "memory");
}

/* SINVAL.VMA va, x0 (Svinval): invalidates exactly what SFENCE.VMA va, x0
 * would, but is ordered only against SFENCE.VMA, SFENCE.W.INVAL and
 * SFENCE.INVAL.IR, so a run of them need not wait for one another.  Between
 * an SFENCE.W.INVAL and an SFENCE.INVAL.IR the three together "have the same
 * effect as" SFENCE.VMA va, x0 (Svinval chapter). */
static inline void lazy_mmu__riscv64_sinval_vma(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0b, x0, %0, x0" : : "r"(va) : "memory");
}

/* SINVAL.VMA va, asid (Svinval): exactly what SFENCE.VMA va, asid would
 * invalidate, ordered as SINVAL.VMA va, x0 above. */
static inline void lazy_mmu__riscv64_sinval_vma_asid(struct lazy_mmu *m, uintptr_t va,
                                                     uint32_t asid)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0b, x0, %0, %1"
                         :
                         : "r"(va), "r"((unsigned long)asid)
                         : "memory");
}

/* SFENCE.INVAL.IR (Svinval): guarantees that this hart's earlier SINVAL.VMAs
 * are ordered before its later implicit references to the page tables: only
 * after it may a later access rely on the invalidations. */
static inline void lazy_mmu__riscv64_sfence_inval_ir(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__(".insn r 0x73, 0, 0x0c, x0, x0, x1" : : : "memory");
}

/* SBI RFENCE extension (EID 0x52464E43 "RFNC"), function fid: 1 is
 * remote_sfence_vma(hart_mask, hart_mask_base, start_addr, size), 2 is
 * remote_sfence_vma_asid(..., asid).  The SBI implementation makes every
 * hart of the mask execute SFENCE.VMA over the range (with that ASID for
 * function 2), the whole address space when size is 2^XLEN - 1, and returns
 * once each hart has done it (RISC-V SBI specification, "RFENCE
 * Extension"); function 1 does not read a4.  Returns sbiret.error: 0 on
 * success. */
static inline long lazy_mmu__riscv64_sbi_rfence(struct lazy_mmu *m, unsigned long fid,
                                           unsigned long hart_mask, unsigned long hart_mask_base,
                                           unsigned long start, unsigned long size,
                                           unsigned long asid)
{
    register unsigned long a0 __asm__("a0") = hart_mask;
    register unsigned long a1 __asm__("a1") = hart_mask_base;
    register unsigned long a2 __asm__("a2") = start;
    register unsigned long a3 __asm__("a3") = size;
    register unsigned long a4 __asm__("a4") = asid;
    register unsigned long a6 __asm__("a6") = fid;
    register unsigned long a7 __asm__("a7") = 0x52464E43; /* EID */
    (void)m;
    /* ECALL from S-mode traps to the SBI implementation, which returns the
     * error in a0 and a value in a1; "memory": the harts it fences must see
     * every earlier page-table store, so none may be kept in registers or
     * moved past the call. */
    __asm__ __volatile__("ecall"
                         : "+r"(a0), "+r"(a1)
                         : "r"(a2), "r"(a3), "r"(a4), "r"(a6), "r"(a7)
                         : "memory");
    return (long)a0;
}

#endif
