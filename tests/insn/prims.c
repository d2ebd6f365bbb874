/* tests/insn/prims.c - every instruction primitive of the selected backend's
 * insn.h, one out-of-line function each, for tests/insn-check.sh to
 * disassemble.  It includes lazymmu.h, so the wrappers are the ones the
 * library itself uses (not a second copy of insn.h), compiled freestanding
 * with the backend's real policy.
 *
 * Naming: t_<primitive> calls one primitive with every operand taken from
 * its own arguments (m first, then the operands in order: the ABI's argument
 * registers); p_<hook> calls one of the policy's hooks, so the check sees
 * which primitives the policy really picks, with the constants it passes.
 */
#include "lazymmu.h"

#define T __attribute__((noinline, used))

/* Keeps -Wmissing-prototypes quiet and the functions global. */
#define DECL(ret, name, args) ret name args; T ret name args

DECL(void, t_store_pte, (struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte))
{
    lazy_mmu__hw_store_pte(m, ptep, pte);
}

/* The ASID the p_..._space hooks name: a constant, so the check sees
 * where the policy puts it. */
#define P_SPACE 0x2au

#if LAZY_MMU__F_PAGE_INVAL
DECL(void, p_inval_page, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__arch_inval_page(m, va, LAZY_MMU_SPACE_ALL);
}
#if LAZY_MMU__F_SPACES
DECL(void, p_inval_page_space, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__arch_inval_page(m, va, P_SPACE);
}
#endif
#if LAZY_MMU__F_LEAF_FORMS
DECL(void, p_inval_page_leaf, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__arch_inval_page_leaf(m, va, LAZY_MMU_SPACE_ALL);
}
DECL(void, p_inval_page_leaf_space, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__arch_inval_page_leaf(m, va, P_SPACE);
}
#endif
#endif
DECL(void, p_inval_all, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_all(m, false, LAZY_MMU_SPACE_ALL);
}
DECL(void, p_inval_all_global, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_all(m, true, LAZY_MMU_SPACE_ALL);
}
#if LAZY_MMU__F_SPACES
DECL(void, p_inval_all_space, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_all(m, false, P_SPACE);
}
#endif
#ifdef lazy_mmu__arch_inval_begin
DECL(void, p_inval_begin, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_begin(m, false);
}
DECL(void, p_inval_begin_all, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_begin(m, true);
}
#endif
#ifdef lazy_mmu__arch_inval_end
DECL(void, p_inval_end, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_end(m, false);
}
DECL(void, p_inval_end_all, (struct lazy_mmu *m))
{
    lazy_mmu__arch_inval_end(m, true);
}
#endif
#ifdef lazy_mmu__arch_context_sync
DECL(void, p_context_sync, (struct lazy_mmu *m))
{
    lazy_mmu__arch_context_sync(m);
}
#endif

#if defined(LAZY_MMU_ARCH_X86_64)
DECL(void, t_invlpg, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__x86_64_invlpg(m, va);
}
DECL(void, t_flush_nonglobal, (struct lazy_mmu *m))
{
    lazy_mmu__x86_64_flush_nonglobal(m);
}
DECL(void, t_flush_all, (struct lazy_mmu *m))
{
    lazy_mmu__x86_64_flush_all(m);
}
#if LAZY_MMU_X86_64_INVPCID
DECL(void, t_invpcid, (struct lazy_mmu *m, uint64_t type, uint32_t pcid, uintptr_t addr))
{
    lazy_mmu__x86_64_invpcid(m, type, pcid, addr);
}
#endif
DECL(uint32_t, t_rdpkru, (struct lazy_mmu *m))
{
    return lazy_mmu__x86_64_rdpkru(m);
}
DECL(void, t_wrpkru, (struct lazy_mmu *m, uint32_t pkru))
{
    lazy_mmu__x86_64_wrpkru(m, pkru);
}
#if LAZY_MMU_STAGE2
DECL(bool, t_invept, (struct lazy_mmu *m, uint64_t type, uint64_t eptp))
{
    return lazy_mmu__x86_64_invept(m, type, eptp);
}
/* The policy's two INVEPT types: single-context once an EPTP is set,
 * all-context before. */
DECL(void, p_invept_single, (struct lazy_mmu *m))
{
    m->arch.eptp = 0x12345000;
    lazy_mmu__arch_inval_all(m, false, LAZY_MMU_SPACE_ALL);
}
DECL(void, p_invept_all, (struct lazy_mmu *m))
{
    m->arch.eptp = 0;
    lazy_mmu__arch_inval_all(m, false, LAZY_MMU_SPACE_ALL);
}
#endif
#if LAZY_MMU_X86_64_INVLPGB
DECL(int32_t, t_invlpgb_max, (struct lazy_mmu *m))
{
    return lazy_mmu__x86_64_invlpgb_max(m);
}
DECL(void, t_mfence, (struct lazy_mmu *m))
{
    lazy_mmu__x86_64_mfence(m);
}
DECL(void, t_invlpgb, (struct lazy_mmu *m, uint64_t rax, uint32_t ecx, uint32_t edx))
{
    lazy_mmu__x86_64_invlpgb(m, rax, ecx, edx);
}
DECL(void, t_tlbsync, (struct lazy_mmu *m))
{
    lazy_mmu__x86_64_tlbsync(m);
}
#endif

#elif defined(LAZY_MMU_ARCH_AARCH64)
DECL(void, t_dsb_ishst, (struct lazy_mmu *m))
{
    lazy_mmu__aarch64_dsb_ishst(m);
}
DECL(void, t_dsb_ish, (struct lazy_mmu *m))
{
    lazy_mmu__aarch64_dsb_ish(m);
}
DECL(void, t_isb, (struct lazy_mmu *m))
{
    lazy_mmu__aarch64_isb(m);
}
DECL(void, t_tlbi_va, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__aarch64_tlbi_va(m, va);
}
DECL(void, t_tlbi_all, (struct lazy_mmu *m))
{
    lazy_mmu__aarch64_tlbi_all(m);
}
DECL(void, t_tlbi_va_asid, (struct lazy_mmu *m, uintptr_t va, uint32_t asid))
{
    lazy_mmu__aarch64_tlbi_va_asid(m, va, asid);
}
DECL(void, t_tlbi_asid, (struct lazy_mmu *m, uint32_t asid))
{
    lazy_mmu__aarch64_tlbi_asid(m, asid);
}
DECL(void, t_tlbi_va_leaf, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__aarch64_tlbi_va_leaf(m, va);
}
DECL(void, t_tlbi_va_asid_leaf, (struct lazy_mmu *m, uintptr_t va, uint32_t asid))
{
    lazy_mmu__aarch64_tlbi_va_asid_leaf(m, va, asid);
}
#if LAZY_MMU_AARCH64_TLBIRANGE
DECL(bool, t_has_tlbirange, (struct lazy_mmu *m))
{
    return lazy_mmu__aarch64_has_tlbirange(m);
}
DECL(void, t_tlbi_rva, (struct lazy_mmu *m, uint64_t op))
{
    lazy_mmu__aarch64_tlbi_rva(m, op);
}
DECL(void, t_tlbi_rva_asid, (struct lazy_mmu *m, uint64_t op))
{
    lazy_mmu__aarch64_tlbi_rva_asid(m, op);
}
DECL(void, t_tlbi_rva_leaf, (struct lazy_mmu *m, uint64_t op))
{
    lazy_mmu__aarch64_tlbi_rva_leaf(m, op);
}
DECL(void, t_tlbi_rva_asid_leaf, (struct lazy_mmu *m, uint64_t op))
{
    lazy_mmu__aarch64_tlbi_rva_asid_leaf(m, op);
}
/* The same 67 pages, last-level forms. */
DECL(void, p_inval_range_leaf_67, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__arch_inval_range(m, va, 67, LAZY_MMU_SPACE_ALL, true);
}
/* 67 pages: a scale-1 range of 64 (NUM 0), a scale-0 one of 2, one page. */
DECL(void, p_inval_range_67, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__arch_inval_range(m, va, 67, LAZY_MMU_SPACE_ALL, false);
}
#endif
#if LAZY_MMU_STAGE2
DECL(void, t_tlbi_ipa, (struct lazy_mmu *m, uintptr_t ipa))
{
    lazy_mmu__aarch64_tlbi_ipa(m, ipa);
}
DECL(void, t_tlbi_s12_all, (struct lazy_mmu *m))
{
    lazy_mmu__aarch64_tlbi_s12_all(m);
}
#endif

#elif defined(LAZY_MMU_ARCH_RISCV64)
DECL(void, t_sfence_vma_va, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__riscv64_sfence_vma_va(m, va);
}
DECL(void, t_sfence_vma_all, (struct lazy_mmu *m))
{
    lazy_mmu__riscv64_sfence_vma_all(m);
}
DECL(void, t_sfence_vma_va_asid, (struct lazy_mmu *m, uintptr_t va, uint32_t asid))
{
    lazy_mmu__riscv64_sfence_vma_va_asid(m, va, asid);
}
DECL(void, t_sfence_vma_asid, (struct lazy_mmu *m, uint32_t asid))
{
    lazy_mmu__riscv64_sfence_vma_asid(m, asid);
}
DECL(void, t_sinval_vma_asid, (struct lazy_mmu *m, uintptr_t va, uint32_t asid))
{
    lazy_mmu__riscv64_sinval_vma_asid(m, va, asid);
}
DECL(void, t_sfence_w_inval, (struct lazy_mmu *m))
{
    lazy_mmu__riscv64_sfence_w_inval(m);
}
DECL(void, t_sinval_vma, (struct lazy_mmu *m, uintptr_t va))
{
    lazy_mmu__riscv64_sinval_vma(m, va);
}
DECL(void, t_sfence_inval_ir, (struct lazy_mmu *m))
{
    lazy_mmu__riscv64_sfence_inval_ir(m);
}
DECL(long, t_sbi_rfence,
     (struct lazy_mmu *m, unsigned long fid, unsigned long hart_mask, unsigned long hart_mask_base,
      unsigned long start, unsigned long size, unsigned long asid))
{
    return lazy_mmu__riscv64_sbi_rfence(m, fid, hart_mask, hart_mask_base, start, size, asid);
}
#else
#error "tests/insn/prims.c: x86_64, aarch64 or riscv64 only (paravirt has no instructions)"
#endif
