/* arch/aarch64/insn.h - aarch64 backend: the instructions.
 * SPDX-License-Identifier: MIT
 *
 * Every primitive takes the context so the simulator (sim.h beside this file) can
 * stand in for this file with the same names; here it is unused.
 *
 * References are to the Arm Architecture Reference Manual for A-profile,
 * DDI 0487 issue K.a (section numbers move between issues; the titles do
 * not):
 *   [TLBM]  D8.16 "TLB maintenance", in particular D8.16.1 "Using
 *           break-before-make when updating translation table entries" and
 *           "Ordering and completion of TLB maintenance instructions".
 *   [LIT]   Appendix "Barrier Litmus Tests", "Ensuring the visibility of
 *           updates to translation tables for a multiprocessor".
 *   [BAR]   B2 "The AArch64 Application Level Memory Model", "Memory
 *           barriers" (DSB, ISB) and "Atomicity in the Arm architecture".
 *   [SYS]   The System instruction descriptions of TLBI VAAE1IS, VAE1IS,
 *           their last-level forms VAALE1IS and VALE1IS, ASIDE1IS and
 *           VMALLE1IS (operand layout), and for stage 2 TLBI IPAS2E1IS and
 *           TLBI VMALLS12E1IS.
 *   [S2]    D8.16 "Invalidation of TLB entries from stage 2 translations".
 */
#ifndef LAZY_MMU_AARCH64_INSN_H
#define LAZY_MMU_AARCH64_INSN_H

/* The shareability domain of every barrier and TLBI below: the inner-
 * shareable one (every PE the kernel runs on), or with
 * LAZY_MMU_AARCH64_NONSHAREABLE this PE alone - DSB NSHST / DSB NSH complete
 * the stores and TLBIs for this PE's walker only, and TLBI VAAE1 / VMALLE1
 * drop this PE's entries only [TLBM, "Broadcast TLB maintenance"]. */
#if LAZY_MMU_AARCH64_NONSHAREABLE
#define LAZY_MMU__AARCH64_DOM "nsh"
#define LAZY_MMU__AARCH64_IS ""
#else
#define LAZY_MMU__AARCH64_DOM "ish"
#define LAZY_MMU__AARCH64_IS "is"
#endif

/* The entry store is the generic one (arch/generic/insn.h): an aligned
 * 64-bit store is single-copy atomic, and so is the walker's read of a
 * descriptor: it sees the old or the new entry, never a mix [BAR].  The
 * store is not yet ordered before later walks or TLBIs: that is DSB ISHST. */

/* DSB ISHST: completes every earlier store (the descriptors) for the whole
 * inner-shareable domain before any later instruction runs.  The walker is a
 * separate observer that only sees completed stores, so this comes between
 * the descriptor store and the TLBI (else the TLBI can complete while walks
 * still read the old descriptor and cache it again) and after the store that
 * makes a new entry [LIT]; D8.16.1 steps 2 and 6 of break-before-make
 * [TLBM]. */
static inline void lazy_mmu__aarch64_dsb_ishst(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("dsb " LAZY_MMU__AARCH64_DOM "st" : : : "memory");
}

/* DSB ISH: a TLBI is complete only after a DSB on the PE that issued it;
 * with the ISH domain that means complete on every PE in the inner-shareable
 * domain, and every access that used the old translation has completed
 * ("Ordering and completion of TLB maintenance instructions" [TLBM]).
 * D8.16.1 step 4: only then may break-before-make write the new entry
 * (here: set the valid bit of the value the break left in it). */
static inline void lazy_mmu__aarch64_dsb_ish(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("dsb " LAZY_MMU__AARCH64_DOM : : : "memory");
}

/* ISB: a context synchronisation event; the effect of every completed TLBI
 * before it is visible to every later instruction of this PE, instruction
 * fetch included ("Ordering and completion of TLB maintenance instructions"
 * [TLBM]; ISB in [BAR]).  It synchronises this PE only; other PEs stop
 * using the old entry once the broadcast TLBI has completed. */
static inline void lazy_mmu__aarch64_isb(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("isb" : : : "memory");
}

/* The TLBI VAAE1IS operand: VA[55:12] in bits [43:0], and nothing else
 * [SYS].  Bits [47:44] are TTL, a hint of the leaf's granule and level when
 * FEAT_TTL is implemented (RES0 otherwise), and bits [63:48] are RES0.  An
 * unmasked va >> 12 of a TTBR1 (high-half) address, 0xffff..., would put
 * 0b1111 in TTL ("64 KiB granule, level 3"), and a wrong TTL means "no
 * entries are required by the architecture to be invalidated": the TLBI
 * could silently do nothing on an Armv8.4+ CPU. */
#define LAZY_MMU__AARCH64_TLBI_VA_MASK ((uint64_t)0x00000fffffffffffull)
/* The TLBI IPAS2E1IS operand has the same shape: IPA[55:12] in bits [43:0]
 * (IPA[55:48] only with 52/56-bit IPAs), TTL in [47:44], and bit 63 NS,
 * RES0 when executed in Non-secure state [SYS]. */
#define LAZY_MMU__AARCH64_TLBI_IPA_MASK LAZY_MMU__AARCH64_TLBI_VA_MASK

/* TLBI VAAE1IS: invalidates the stage 1 EL1&0 entries (any level, walk-cache
 * entries included) that translate this VA, for every ASID and global
 * entries, on every PE of the inner-shareable domain [SYS].  Not complete
 * until a later DSB ISH [TLBM]; TLBIs are executed in program order relative
 * to each other, so one DSB ISH completes a whole run of them. */
static inline void lazy_mmu__aarch64_tlbi_va(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("tlbi vaae1" LAZY_MMU__AARCH64_IS ", %0"
                         :
                         : "r"(((uint64_t)va >> 12) & LAZY_MMU__AARCH64_TLBI_VA_MASK)
                         : "memory");
}

/* The ASID field of a TLBI operand: bits [63:48] [SYS].  With 8-bit ASIDs
 * (TCR_EL1.AS = 0) the upper eight must be zero: the kernel's ASID as it
 * writes it to TTBR0_EL1[63:48], or TTBR1_EL1's with TCR_EL1.A1 = 1. */
#define LAZY_MMU__AARCH64_TLBI_ASID_SHIFT 48

/* TLBI VAE1IS: invalidates the stage 1 EL1&0 entries (any level, walk-cache
 * entries included) that translate this VA for this ASID, and the global
 * ones for this VA, on every PE of the inner-shareable domain [SYS].  Other
 * ASIDs' entries for the VA stay.  Completion as for VAAE1IS. */
static inline void lazy_mmu__aarch64_tlbi_va_asid(struct lazy_mmu *m, uintptr_t va, uint32_t asid)
{
    (void)m;
    __asm__ __volatile__("tlbi vae1" LAZY_MMU__AARCH64_IS ", %0"
                         :
                         : "r"((((uint64_t)va >> 12) & LAZY_MMU__AARCH64_TLBI_VA_MASK) |
                               ((uint64_t)asid << LAZY_MMU__AARCH64_TLBI_ASID_SHIFT))
                         : "memory");
}

/* TLBI VAALE1IS / VALE1IS: the same as VAAE1IS / VAE1IS for the entries
 * from the last level of the walk - the page or block that maps the VA -
 * only; the walk-cache entries of the levels above may stay [SYS].  Enough
 * when only leaf descriptors changed, and cheaper: the next walks keep
 * their cached table entries.  Completion as for VAAE1IS. */
static inline void lazy_mmu__aarch64_tlbi_va_leaf(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("tlbi vaale1" LAZY_MMU__AARCH64_IS ", %0"
                         :
                         : "r"(((uint64_t)va >> 12) & LAZY_MMU__AARCH64_TLBI_VA_MASK)
                         : "memory");
}

static inline void lazy_mmu__aarch64_tlbi_va_asid_leaf(struct lazy_mmu *m, uintptr_t va,
                                                       uint32_t asid)
{
    (void)m;
    __asm__ __volatile__("tlbi vale1" LAZY_MMU__AARCH64_IS ", %0"
                         :
                         : "r"((((uint64_t)va >> 12) & LAZY_MMU__AARCH64_TLBI_VA_MASK) |
                               ((uint64_t)asid << LAZY_MMU__AARCH64_TLBI_ASID_SHIFT))
                         : "memory");
}

/* TLBI ASIDE1IS: invalidates every non-global stage 1 EL1&0 entry of this
 * ASID (all VAs, any level), on every PE of the inner-shareable domain
 * [SYS]: one address space's full flush, leaving every other ASID's entries
 * and the global ones in place.  Complete only after a later DSB ISH. */
static inline void lazy_mmu__aarch64_tlbi_asid(struct lazy_mmu *m, uint32_t asid)
{
    (void)m;
    __asm__ __volatile__("tlbi aside1" LAZY_MMU__AARCH64_IS ", %0"
                         :
                         : "r"((uint64_t)asid << LAZY_MMU__AARCH64_TLBI_ASID_SHIFT)
                         : "memory");
}

#if LAZY_MMU_AARCH64_TLBIRANGE
/* ID_AA64ISAR0_EL1.TLB, bits [59:56]: 0b0010 means the TLBI range (and
 * outer-shareable) instructions are implemented [the register's
 * description].  Readable at EL1. */
static inline bool lazy_mmu__aarch64_has_tlbirange(struct lazy_mmu *m)
{
    uint64_t isar0;
    (void)m;
    __asm__ __volatile__("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    return ((isar0 >> 56) & 0xf) >= 2;
}

/* TLBI RVAAE1IS / RVAE1IS (FEAT_TLBIRANGE): invalidates the stage 1 EL1&0
 * entries, any level, that translate a VA in the range the operand
 * describes - every ASID's, or (RVAE1IS) that ASID's and global ones - on
 * every PE of the inner-shareable domain [SYS]; completed by a later
 * DSB ISH like the other TLBIs.  The operand (lazy_mmu__aarch64_range_op in
 * policy.h) is passed as it is.  Written as the SYS instructions they are
 * (op1 0, CRn 8, CRm 2 - 6 without IS -, op2 3 / 1) so that an assembler
 * without -march=armv8.4-a takes them.  RVAALE1IS / RVALE1IS (op2 7 / 5)
 * are their last-level forms, as VAALE1IS is VAAE1IS's. */
#if LAZY_MMU_AARCH64_NONSHAREABLE
#define LAZY_MMU__AARCH64_RANGE_CRM "c6"
#else
#define LAZY_MMU__AARCH64_RANGE_CRM "c2"
#endif
static inline void lazy_mmu__aarch64_tlbi_rva(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    __asm__ __volatile__("sys #0, c8, " LAZY_MMU__AARCH64_RANGE_CRM ", #3, %0"
                         :
                         : "r"(op)
                         : "memory");
}

static inline void lazy_mmu__aarch64_tlbi_rva_asid(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    __asm__ __volatile__("sys #0, c8, " LAZY_MMU__AARCH64_RANGE_CRM ", #1, %0"
                         :
                         : "r"(op)
                         : "memory");
}

static inline void lazy_mmu__aarch64_tlbi_rva_leaf(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    __asm__ __volatile__("sys #0, c8, " LAZY_MMU__AARCH64_RANGE_CRM ", #7, %0"
                         :
                         : "r"(op)
                         : "memory");
}

static inline void lazy_mmu__aarch64_tlbi_rva_asid_leaf(struct lazy_mmu *m, uint64_t op)
{
    (void)m;
    __asm__ __volatile__("sys #0, c8, " LAZY_MMU__AARCH64_RANGE_CRM ", #5, %0"
                         :
                         : "r"(op)
                         : "memory");
}
#endif

/* TLBI VMALLE1IS: invalidates every stage 1 EL1&0 entry of the current VMID
 * (all VAs, all ASIDs), on every PE of the inner-shareable domain [SYS];
 * entries that combine stage 1 and stage 2 are stage 1 entries too [S2].
 * Complete only after a later DSB ISH [TLBM]. */
static inline void lazy_mmu__aarch64_tlbi_all(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("tlbi vmalle1" LAZY_MMU__AARCH64_IS : : : "memory");
}

#if LAZY_MMU_STAGE2
/* TLBI IPAS2E1IS: invalidates the stage 2 only entries, any level, that
 * translate this IPA for the current VMID (VTTBR_EL2.VMID), on every PE of
 * the inner-shareable domain [SYS].  It is not required to touch entries
 * that combine stage 1 and stage 2, which a TLBI VMALLE1IS must drop after
 * this one has completed: a walk on another PE in between could refill a
 * combined entry from the old stage 2 entry [S2].  EL2 only (UNDEFINED at
 * EL1); complete only after a later DSB ISH [TLBM]. */
static inline void lazy_mmu__aarch64_tlbi_ipa(struct lazy_mmu *m, uintptr_t ipa)
{
    (void)m;
    __asm__ __volatile__("tlbi ipas2e1is, %0"
                         :
                         : "r"(((uint64_t)ipa >> 12) & LAZY_MMU__AARCH64_TLBI_IPA_MASK)
                         : "memory");
}

/* TLBI VMALLS12E1IS: invalidates every stage 1, stage 2 and combined entry
 * of the EL1&0 regime with the current VMID, on every PE of the
 * inner-shareable domain [SYS].  EL2 only; complete only after a later DSB
 * ISH [TLBM]. */
static inline void lazy_mmu__aarch64_tlbi_s12_all(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("tlbi vmalls12e1is" : : : "memory");
}
#endif

#endif
