/* arch/x86_64/policy.h - x86_64 backend: the generic layer's requests in
 * x86 instructions.
 * SPDX-License-Identifier: MIT
 *
 * Stores go straight to the page tables (the walker is coherent with them);
 * a section defers only the INVLPGs a valid old entry needs.  A full flush
 * is a CR3 reload, or a global flush (CR4.PGE toggle, or INVPCID type 2)
 * when a global entry is among the pages or the embedder says entries may
 * be global (CR3 reloads keep global translations).
 *
 * With LAZY_MMU_X86_64_PKRU (types.h) the section's state also carries PKRU:
 * enter opens the page tables' protection key, leave restores it.
 *
 * With LAZY_MMU_STAGE2 the tables are a guest's EPT: there is no per-address
 * invalidation (LAZY_MMU__F_PAGE_INVAL is 0), so a changed present entry
 * makes the whole batch one INVEPT.
 *
 * With LAZY_MMU_X86_64_INVLPGB (types.h) the same requests are INVLPGBs that
 * reach every CPU: MFENCE, one INVLPGB per run of up to the CPU's count,
 * or one for everything, then one TLBSYNC.
 *
 * In a named address space (lazy_mmu_set_space: a PCID) the forms are that
 * PCID's: INVPCID type 0 / 1 with LAZY_MMU_X86_64_INVPCID, INVLPGB with its
 * PCID, else INVLPG / CR3 reload of the current PCID.
 */
#ifndef LAZY_MMU_X86_64_POLICY_H
#define LAZY_MMU_X86_64_POLICY_H

#if LAZY_MMU_X86_64_PKRU
/* The page-table key's AD and WD bits: PKRU bits 2k and 2k + 1 (SDM 4.6.2). */
#define LAZY_MMU__X86_64_PKRU_BITS ((uint32_t)3 << (2 * LAZY_MMU_X86_64_PKRU_KEY))

/* Opens the page-table key and returns PKRU as it was.  Only that key's
 * bits change; no WRPKRU when it is open already (a nested section). */
static inline uint32_t lazy_mmu__x86_64_pkru_open(struct lazy_mmu *m)
{
    uint32_t pkru = lazy_mmu__x86_64_rdpkru(m);
    if (pkru & LAZY_MMU__X86_64_PKRU_BITS)
        lazy_mmu__x86_64_wrpkru(m, pkru & ~LAZY_MMU__X86_64_PKRU_BITS);
    return pkru;
}

static inline void lazy_mmu__arch_enter(struct lazy_mmu *m, struct lazy_mmu__arch_state *s)
{
    s->pkru = lazy_mmu__x86_64_pkru_open(m);
}
#define lazy_mmu__arch_enter lazy_mmu__arch_enter

/* Runs after the publish (which stores no entries on x86).  Puts back what
 * this section's enter saw - not "closed": an inner section must leave the
 * key open for its outer one, and a PKRU the caller changed inside the
 * section must not outlive it. */
static inline void lazy_mmu__arch_leave(struct lazy_mmu *m, struct lazy_mmu__arch_state *s)
{
    if (lazy_mmu__x86_64_rdpkru(m) != s->pkru)
        lazy_mmu__x86_64_wrpkru(m, s->pkru);
}
#define lazy_mmu__arch_leave lazy_mmu__arch_leave

/* A pause leaves PKRU as it is (the eager writes while paused need the key
 * open) and its resume restores nothing. */
static inline void lazy_mmu__arch_pause(struct lazy_mmu *m, struct lazy_mmu__arch_state *s)
{
    (void)m;
    s->pkru = 0;
}

/* Outside every section nobody has opened the key, and the store would
 * fault: open it around this one store.  An eager update is a single
 * write, so the WRPKRU pair is what a section of one would cost; keeping
 * the key open between eager calls instead would leave the tables writable
 * for as long as the caller likes, which is what the key is there to
 * prevent.  Inside a section - paused ones too - enter opened it already.
 * Closed again before the INVLPG. */
static inline void lazy_mmu__arch_store(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                        lazy_mmu_pte_t pte)
{
    const bool eager = lazy_mmu__sections(m) == 0;
    const uint32_t pkru = eager ? lazy_mmu__x86_64_pkru_open(m) : 0;

    lazy_mmu__hw_store_pte(m, ptep, pte);
    if (eager && (pkru & LAZY_MMU__X86_64_PKRU_BITS))
        lazy_mmu__x86_64_wrpkru(m, pkru);
}
#define lazy_mmu__arch_store lazy_mmu__arch_store
#endif

#if LAZY_MMU_STAGE2
/* The EPTP of the guest whose EPT this context manages, as in its VMCS:
 * later visibility points use single-context INVEPT for it.  Work pending
 * from before is published first, for the EPTP it was done under. */
static inline void lazy_mmu_x86_64_set_eptp(struct lazy_mmu *m, uint64_t eptp)
{
    lazy_mmu__publish(m);
    m->arch.eptp = eptp;
}

static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    const bool single = !LAZY_MMU_X86_64_EPT_ALL_CONTEXT && m->arch.eptp != 0;

    (void)global;
    (void)space; /* EPT has no PCIDs (F_SPACES is 0) */
    if (!lazy_mmu__x86_64_invept(m, single ? 1 : 2, single ? m->arch.eptp : 0))
        LAZY_MMU_PANIC("lazy_mmu: INVEPT failed (type not supported, or EPTP invalid)");
}

static inline void lazy_mmu__arch_init(struct lazy_mmu *m)
{
    m->arch.eptp = 0;
}
#define lazy_mmu__arch_init lazy_mmu__arch_init
#elif LAZY_MMU_X86_64_INVLPGB
/* rAX's low bits (APM vol. 3 "INVLPGB"): match the address, match ASID 0 -
 * the host's translations, or in a guest the hardware puts the guest's
 * own ASID there - and include global entries.  No PCID bit: every PCID.
 * Final-translation-only (bit 4) stays clear: an explicit request may be
 * for a table page, whose paging-structure cache entries must go too. */
#define LAZY_MMU__X86_64_INVLPGB_VA ((uint64_t)1 << 0)
#define LAZY_MMU__X86_64_INVLPGB_PCID ((uint64_t)1 << 1) /* EDX[27:16] */
#define LAZY_MMU__X86_64_INVLPGB_ASID ((uint64_t)1 << 2)
#define LAZY_MMU__X86_64_INVLPGB_GLOBAL ((uint64_t)1 << 3)
/* ECX[31]: the count's pages are 2 MiB apart, else 4 KiB. */
#define LAZY_MMU__X86_64_INVLPGB_STRIDE ((uint32_t)(LAZY_MMU_PAGE_SHIFT == 21) << 31)

/* The CPU's INVLPGB, or a loud stop: without it nothing would reach the
 * other CPUs, and no LAZY_MMU_SHOOTDOWN round is sent instead. */
static inline void lazy_mmu__x86_64_invlpgb_probe(struct lazy_mmu *m)
{
    const int32_t max = lazy_mmu__x86_64_invlpgb_max(m);
    if (max < 0)
        LAZY_MMU_PANIC("lazy_mmu_init: LAZY_MMU_X86_64_INVLPGB is set but this CPU has no "
                       "INVLPGB/TLBSYNC (CPUID Fn8000_0008_EBX[3] clear)");
    m->arch.invlpgb_max = (uint16_t)(max < 0 ? 0 : max);
}

static inline void lazy_mmu__arch_init(struct lazy_mmu *m)
{
    lazy_mmu__x86_64_invlpgb_probe(m);
}
#define lazy_mmu__arch_init lazy_mmu__arch_init

/* The entries stored so far are visible to every walker before any
 * INVLPGB goes out. */
static inline void lazy_mmu__arch_inval_begin(struct lazy_mmu *m, bool all)
{
    (void)all;
    lazy_mmu__x86_64_mfence(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#define lazy_mmu__arch_inval_begin lazy_mmu__arch_inval_begin

/* rAX's match bits and EDX for space: every PCID and global entries, or
 * one PCID's non-global ones. */
static inline uint64_t lazy_mmu__x86_64_invlpgb_match(uint32_t space)
{
    return LAZY_MMU__X86_64_INVLPGB_ASID |
           (space == LAZY_MMU_SPACE_ALL ? LAZY_MMU__X86_64_INVLPGB_GLOBAL
                                        : LAZY_MMU__X86_64_INVLPGB_PCID);
}

static inline uint32_t lazy_mmu__x86_64_invlpgb_edx(uint32_t space)
{
    return space == LAZY_MMU_SPACE_ALL ? 0 : space << 16;
}

/* n pages from va: one INVLPGB per invlpgb_max + 1 of them.  No leaf-only
 * form (leaf is always false). */
static inline void lazy_mmu__arch_inval_range(struct lazy_mmu *m, uintptr_t va, uint32_t n,
                                              uint32_t space, bool leaf)
{
    const uint32_t most = (uint32_t)m->arch.invlpgb_max + 1;

    (void)leaf;

    while (n != 0) {
        const uint32_t k = n < most ? n : most;
        lazy_mmu__x86_64_invlpgb(
            m, (uint64_t)va | LAZY_MMU__X86_64_INVLPGB_VA | lazy_mmu__x86_64_invlpgb_match(space),
            LAZY_MMU__X86_64_INVLPGB_STRIDE | (k - 1), lazy_mmu__x86_64_invlpgb_edx(space));
        va += (uintptr_t)k << LAZY_MMU_PAGE_SHIFT;
        n -= k;
    }
}
#define lazy_mmu__arch_inval_range lazy_mmu__arch_inval_range

static inline void lazy_mmu__arch_inval_page(struct lazy_mmu *m, uintptr_t va, uint32_t space)
{
    lazy_mmu__arch_inval_range(m, va, 1, space, false);
}

/* No address: every translation of ASID 0 (of one PCID in a named space),
 * global ones only when a CR3 reload would not have done. */
static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    const bool all = space == LAZY_MMU_SPACE_ALL;
    lazy_mmu__x86_64_invlpgb(
        m,
        LAZY_MMU__X86_64_INVLPGB_ASID | (all ? 0 : LAZY_MMU__X86_64_INVLPGB_PCID) |
            (all && (LAZY_MMU_X86_64_GLOBAL_PAGES || global) ? LAZY_MMU__X86_64_INVLPGB_GLOBAL : 0),
        0, lazy_mmu__x86_64_invlpgb_edx(space));
}

/* Every INVLPGB above has completed on every CPU. */
static inline void lazy_mmu__arch_inval_end(struct lazy_mmu *m, bool all)
{
    (void)all;
    lazy_mmu__x86_64_tlbsync(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#define lazy_mmu__arch_inval_end lazy_mmu__arch_inval_end
#else
/* A named PCID: INVPCID types 0 and 1 reach it whether loaded or not;
 * without INVPCID, INVLPG and the CR3 reload reach the current PCID only,
 * which the embedder promises it is (lazymmu.h, SPACES). */
static inline void lazy_mmu__arch_inval_page(struct lazy_mmu *m, uintptr_t va, uint32_t space)
{
#if LAZY_MMU_X86_64_INVPCID
    if (space != LAZY_MMU_SPACE_ALL) {
        lazy_mmu__x86_64_invpcid(m, 0, space, va);
        return;
    }
#endif
    (void)space;
    lazy_mmu__x86_64_invlpg(m, va);
}

static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    if (space != LAZY_MMU_SPACE_ALL) {
#if LAZY_MMU_X86_64_INVPCID
        lazy_mmu__x86_64_invpcid(m, 1, space, 0);
#else
        lazy_mmu__x86_64_flush_nonglobal(m);
#endif
    } else if (LAZY_MMU_X86_64_GLOBAL_PAGES || global) {
        lazy_mmu__x86_64_flush_all(m);
    } else {
        lazy_mmu__x86_64_flush_nonglobal(m);
    }
}
#endif

#endif
