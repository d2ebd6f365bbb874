/* bench/nullinsn.h - the privileged instructions of a backend, replaced by
 * one `nop` each, so the release build of lazymmu.h + a backend's policy can
 * run (and be counted by callgrind) as an ordinary host program.
 *
 * HOW IT PLUGS IN (nothing under arch/ changes)
 *   Built with LAZY_MMU_INSN_HEADER "nullinsn.h" (and -Ibench), the
 *   instruction seam of arch/select.h: lazymmu.h includes this header
 *   where it would include the backend's insn.h, so the policy calls these
 *   functions, under the same names, instead of the real instructions.
 *
 *   Why not LAZY_MMU_SIMULATE with a stand-in for the simulator?  That
 *   build adds a pointer to struct lazy_mmu and is not the configuration a
 *   kernel ships; this one is byte for byte the release freestanding
 *   library (LAZY_MMU_SIMULATE=0), only the privileged instructions differ.
 *
 * WHAT A STAND-IN COSTS
 *   Each privileged instruction becomes exactly one `nop` with the same
 *   operands and the same "memory" clobber, so the compiler allocates
 *   registers and orders memory as it does for the real asm, and callgrind
 *   counts one instruction where the kernel would execute one (the
 *   unprivileged neighbours of a privileged instruction - pushfq/popq around
 *   cli - stay as they are).  The counts
 *   are therefore instruction counts of the real hot path, not cycles: an
 *   invlpg or a dsb costs far more than one cycle on hardware.  Reads of
 *   control registers (mov from cr3/cr4) become one `xor` that yields 0, so
 *   the CR4.PGE test takes the no-global-pages branch; RDPKRU/WRPKRU read and
 *   write a variable that plays PKRU.  The page-table store is not
 *   privileged: this header leaves it to the generic one
 *   (arch/generic/insn.h), the real volatile 64-bit store.
 *
 * Paravirt has no insn.h: it needs only LAZY_MMU_PARAVIRT_COMMIT, which the
 * benchmark supplies as an out-of-line function (bench/insns.c).
 */
#ifndef LAZY_MMU_BENCH_NULLINSN_H
#define LAZY_MMU_BENCH_NULLINSN_H

#include <stdint.h>

#define LAZY_MMU__BENCH_NOP(...) __asm__ __volatile__("nop" : : __VA_ARGS__ : "memory")
#define LAZY_MMU__BENCH_NOP0() __asm__ __volatile__("nop" : : : "memory")

#if defined(LAZY_MMU_ARCH_X86_64)

static inline void lazy_mmu__x86_64_invlpg(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(va)); /* invlpg (va) */
}

static inline void lazy_mmu__x86_64_flush_nonglobal(struct lazy_mmu *m)
{
    uint64_t cr3;
    (void)m;
    __asm__ __volatile__("xor %k0, %k0" : "=r"(cr3)); /* mov %cr3, cr3 */
    LAZY_MMU__BENCH_NOP("r"(cr3));                   /* mov cr3, %cr3 */
}

#if LAZY_MMU_X86_64_INVPCID
static inline void lazy_mmu__x86_64_invpcid(struct lazy_mmu *m, uint64_t type, uint32_t pcid,
                                         uintptr_t addr)
{
    struct {
        uint64_t pcid, addr;
    } desc;
    (void)m;
    desc.pcid = pcid;
    desc.addr = addr;
    LAZY_MMU__BENCH_NOP("m"(desc), "r"(type)); /* invpcid desc, type */
}
#endif

static inline void lazy_mmu__x86_64_flush_all(struct lazy_mmu *m)
{
#if LAZY_MMU_X86_64_INVPCID
    (void)m;
    LAZY_MMU__BENCH_NOP("r"((uint64_t)2)); /* invpcid type 2 */
#else
    uint64_t cr4, flags;
    /* pushfq; popq; cli - the cli is the privileged one */
    __asm__ __volatile__("pushfq; popq %0; nop" : "=r"(flags) : : "memory");
    __asm__ __volatile__("xor %k0, %k0" : "=r"(cr4)); /* mov %cr4, cr4 */
    if (cr4 & ((uint64_t)1 << 7)) {
        LAZY_MMU__BENCH_NOP("r"(cr4 & ~((uint64_t)1 << 7)));
        LAZY_MMU__BENCH_NOP("r"(cr4));
    } else {
        lazy_mmu__x86_64_flush_nonglobal(m);
    }
    LAZY_MMU__BENCH_NOP("r"(flags)); /* pushq; popfq (IF back): one stand-in */
    LAZY_MMU__BENCH_NOP0();
#endif
}

/* PKRU (LAZY_MMU_X86_64_PKRU): a variable plays the register, so the policy's
 * logic runs as on hardware (the key is closed outside sections).  One
 * instruction each, with rdpkru's and wrpkru's register constraints. */
static uint32_t lazy_mmu__bench_pkru = (uint32_t)3 << (2 * 1); /* key 1 closed */

static inline uint32_t lazy_mmu__x86_64_rdpkru(struct lazy_mmu *m)
{
    uint32_t eax, edx;
    (void)m;
    __asm__ __volatile__("movl %2, %%eax"
                         : "=a"(eax), "=d"(edx)
                         : "m"(lazy_mmu__bench_pkru), "c"(0));
    (void)edx;
    return eax;
}

static inline void lazy_mmu__x86_64_wrpkru(struct lazy_mmu *m, uint32_t pkru)
{
    (void)m;
    __asm__ __volatile__("movl %%eax, %0" : "=m"(lazy_mmu__bench_pkru) : "a"(pkru), "c"(0), "d"(0)
                         : "memory");
}

#elif defined(LAZY_MMU_ARCH_AARCH64)

static inline void lazy_mmu__aarch64_dsb_ishst(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* dsb ishst */
}

static inline void lazy_mmu__aarch64_dsb_ish(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* dsb ish */
}

static inline void lazy_mmu__aarch64_isb(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* isb */
}

static inline void lazy_mmu__aarch64_tlbi_va(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"((uint64_t)va >> 12)); /* tlbi vaae1is */
}

static inline void lazy_mmu__aarch64_tlbi_all(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* tlbi vmalle1is */
}

#if LAZY_MMU_AARCH64_TLBIRANGE
static inline bool lazy_mmu__aarch64_has_tlbirange(struct lazy_mmu *m)
{
    (void)m;
    return true; /* mrs id_aa64isar0_el1: a CPU that has it */
}

static inline void lazy_mmu__aarch64_tlbi_rva(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(op)); /* tlbi rvaae1is */
}

static inline void lazy_mmu__aarch64_tlbi_rva_asid(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(op)); /* tlbi rvae1is */
}

static inline void lazy_mmu__aarch64_tlbi_rva_leaf(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(op)); /* tlbi rvaale1is */
}

static inline void lazy_mmu__aarch64_tlbi_rva_asid_leaf(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(op)); /* tlbi rvale1is */
}
#endif

static inline void lazy_mmu__aarch64_tlbi_va_asid(struct lazy_mmu *m, uintptr_t va, uint32_t asid)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(((uint64_t)va >> 12) | ((uint64_t)asid << 48))); /* tlbi vae1is */
}

static inline void lazy_mmu__aarch64_tlbi_va_leaf(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"((uint64_t)va >> 12)); /* tlbi vaale1is */
}

static inline void lazy_mmu__aarch64_tlbi_va_asid_leaf(struct lazy_mmu *m, uintptr_t va,
                                                       uint32_t asid)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(((uint64_t)va >> 12) | ((uint64_t)asid << 48))); /* tlbi vale1is */
}

static inline void lazy_mmu__aarch64_tlbi_asid(struct lazy_mmu *m, uint32_t asid)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"((uint64_t)asid << 48)); /* tlbi aside1is */
}

#elif defined(LAZY_MMU_ARCH_RISCV64)

static inline void lazy_mmu__riscv64_sfence_vma_va(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(va)); /* sfence.vma va, zero */
}

static inline void lazy_mmu__riscv64_sfence_vma_all(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* sfence.vma zero, zero */
}

static inline void lazy_mmu__riscv64_sfence_vma_va_asid(struct lazy_mmu *m, uintptr_t va,
                                                        uint32_t asid)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(va), "r"((unsigned long)asid)); /* sfence.vma va, asid */
}

static inline void lazy_mmu__riscv64_sfence_vma_asid(struct lazy_mmu *m, uint32_t asid)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"((unsigned long)asid)); /* sfence.vma zero, asid */
}

static inline void lazy_mmu__riscv64_sinval_vma_asid(struct lazy_mmu *m, uintptr_t va,
                                                     uint32_t asid)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(va), "r"((unsigned long)asid)); /* sinval.vma va, asid */
}

static inline void lazy_mmu__riscv64_sfence_w_inval(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* sfence.w.inval */
}

static inline void lazy_mmu__riscv64_sinval_vma(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    LAZY_MMU__BENCH_NOP("r"(va)); /* sinval.vma va, zero */
}

static inline void lazy_mmu__riscv64_sfence_inval_ir(struct lazy_mmu *m)
{
    (void)m;
    LAZY_MMU__BENCH_NOP0(); /* sfence.inval.ir */
}

static inline long lazy_mmu__riscv64_sbi_rfence(struct lazy_mmu *m, unsigned long fid,
                                           unsigned long hart_mask, unsigned long hart_mask_base,
                                           unsigned long start, unsigned long size,
                                           unsigned long asid)
{
    (void)m, (void)fid, (void)hart_mask, (void)hart_mask_base, (void)start, (void)size, (void)asid;
    __asm__ __volatile__("nop" : : : "memory");
    return 0;
}

#elif defined(LAZY_MMU_ARCH_PARAVIRT)
/* Nothing privileged: the guest never touches its page tables. */
#else
#error "bench/nullinsn.h: define one LAZY_MMU_ARCH_* before including it"
#endif

#endif
