/* arch/aarch64/sim.h - the simulated aarch64 MMU: insn.h's names over the
 * shared model (arch/sim/model.h), for hosted builds with LAZY_MMU_SIMULATE.
 * SPDX-License-Identifier: MIT
 *
 * The facts are the Arm ARM's (DDI 0487, the sections insn.h cites as
 * [TLBM], [LIT], [BAR] and [S2]).  What the model adds to them: a TLBI is
 * queued until the DSB ISH that completes it, and an access after completed
 * maintenance but before an ISB is a violation, since only the ISB makes
 * this PE's later instructions see it.
 *
 * Stage 2 (LAZY_MMU_STAGE2): pt[] is a guest's stage 2 table, indexed by
 * IPA, and an access is the guest's, through a stage 1 it owns and never
 * changes (VA page i -> IPA page i).  tlb[] holds the combined stage 1+2
 * entries and s2tlb[] the stage 2 only ones (LAZY_MMU_SIM_S2_TLB), each
 * filled by a walk and refilling the other.  At a DSB ISH the stage 1
 * invalidations (VAAE1IS, VMALLE1IS) complete first, then a walk on another
 * PE refills the combined entry of every page whose IPAS2E1IS is still
 * incomplete from its old stage 2 entry, then the IPAS2E1IS / VMALLS12E1IS
 * complete: so a missing IPAS2E1IS, a missing VMALLE1IS and a VMALLE1IS not
 * separated from the IPAS2E1IS by a DSB ISH each leave a stale translation.
 */
#ifndef LAZY_MMU_AARCH64_SIM_H
#define LAZY_MMU_AARCH64_SIM_H

#define LAZY_MMU_SIM_NAME "aarch64"
/* Descriptor bit 0; an invalid descriptor's other bits are ignored, in
 * stage 1 and stage 2 tables alike. */
#define LAZY_MMU_SIM_VALID(pte) (((pte) & 1u) != 0)
/* The walker is a separate observer that sees a descriptor store only once
 * a DSB has completed it [LIT]. */
#define LAZY_MMU_SIM_WALKER_LAGS 1
/* An entry that generates a Translation fault is never held in a TLB
 * [TLBM]. */
#define LAZY_MMU_SIM_CACHES_INVALID 0
/* Break-before-make [TLBM, D8.16.1], on the output address of a 4 KiB
 * granule leaf with 48-bit OAs: bits [47:12]. */
#define LAZY_MMU_SIM_CHECK_BBM 1
#define LAZY_MMU_SIM_OA_MASK 0x0000fffffffff000ull
/* A stage 1 entry with nG (bit 11) clear is global: cached for every ASID,
 * dropped by VAE1IS of any ASID but kept by ASIDE1IS [TLBM]; with nG set it
 * is tagged with the ASID it was walked for.  Stage 2 has no nG. */
#define LAZY_MMU_SIM_IS_GLOBAL(pte) (!LAZY_MMU_STAGE2 && ((pte) & ((lazy_mmu_pte_t)1 << 11)) == 0)
/* Stage 2 only entries are cached apart from combined ones, and IPAS2E1IS
 * need not touch the combined ones [S2]. */
#define LAZY_MMU_SIM_S2_TLB LAZY_MMU_STAGE2
/* A CPU without FEAT_TLBIRANGE, for the init check's test; lazy_mmu_init
 * runs before the context has a simulated CPU to ask, so the check runs
 * again at attach. */
#define LAZY_MMU_SIM_FIELDS bool no_tlbirange;
#define LAZY_MMU_SIM_ON_INIT(s) ((s)->no_tlbirange = false)
#if LAZY_MMU_AARCH64_TLBIRANGE
struct lazy_mmu;
static inline void lazy_mmu__aarch64_tlbirange_probe(struct lazy_mmu *m);
#define LAZY_MMU_SIM_ON_ATTACH(m, s) ((void)(s), lazy_mmu__aarch64_tlbirange_probe(m))
#endif
/* Above level 3, descriptor bits [1:0] 0b11 point to a table, 0b01 is a
 * block [the translation table descriptor formats]. */
#define LAZY_MMU_SIM_IS_TABLE(pte) (((pte) & 3u) == 3u)
#define LAZY_MMU_SIM_TABLE_PTE(j) ((lazy_mmu_pte_t)0x3 | (lazy_mmu_pte_t)(0x7000000u + (j)) << 12)

#include "../sim/model.h"

static inline void lazy_mmu__aarch64_dsb_ishst(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.dsb_ishst++;
    if (lazy_mmu__sim_order_stores(s))
        s->need_isb = true;
}

static inline void lazy_mmu__aarch64_dsb_ish(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    bool stores, invals;
    s->n.dsb_ish++;
    stores = lazy_mmu__sim_order_stores(s);
    /* The IS forms complete on every PE; NONSHAREABLE ones on this one. */
    invals = lazy_mmu__sim_complete_invals_on(s, !LAZY_MMU_AARCH64_NONSHAREABLE);
#if LAZY_MMU_STAGE2
    invals = lazy_mmu__sim_complete_s2(s) || invals;
#endif
    if (stores || invals)
        s->need_isb = true;
}

static inline void lazy_mmu__aarch64_isb(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.isb++;
    s->need_isb = false;
}

static inline void lazy_mmu__aarch64_tlbi_va(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_va++;
    lazy_mmu__sim_queue_inval(s, va);
}

static inline void lazy_mmu__aarch64_tlbi_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_all++;
    lazy_mmu__sim_queue_all(s, LAZY_MMU_SIM_SEL_ANY);
}

/* VAE1IS: the VA's entries of that ASID, and global ones; ASIDE1IS: every
 * non-global entry of that ASID.  The operand's ASID is bits [63:48]. */
static inline void lazy_mmu__aarch64_tlbi_va_asid(struct lazy_mmu *m, uintptr_t va, uint32_t asid)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_va_asid++;
    lazy_mmu__sim_queue_inval_sel(s, va, asid & 0xffffu);
}

/* VAALE1IS / VALE1IS: the same, of the last level's entries only - the
 * walk cache's table entries stay (counted with the full forms, and in
 * tlbi_leaf). */
static inline void lazy_mmu__aarch64_tlbi_va_leaf(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_va++;
    s->n.tlbi_leaf++;
    lazy_mmu__sim_queue_inval_sel(s, va, LAZY_MMU_SIM_SEL_ANY | LAZY_MMU_SIM_SEL_LEAF);
}
static inline void lazy_mmu__aarch64_tlbi_va_asid_leaf(struct lazy_mmu *m, uintptr_t va,
                                                       uint32_t asid)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_va_asid++;
    s->n.tlbi_leaf++;
    lazy_mmu__sim_queue_inval_sel(s, va, (asid & 0xffffu) | LAZY_MMU_SIM_SEL_LEAF);
}
static inline void lazy_mmu__aarch64_tlbi_asid(struct lazy_mmu *m, uint32_t asid)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_asid++;
    lazy_mmu__sim_queue_all(s, (asid & 0xffffu) | LAZY_MMU_SIM_SEL_NONGLOBAL);
}

#if LAZY_MMU_AARCH64_TLBIRANGE
/* The model's CPUs implement FEAT_TLBIRANGE unless a test says otherwise. */
static inline bool lazy_mmu__aarch64_has_tlbirange(struct lazy_mmu *m)
{
    return m->sim == NULL || !lazy_mmu__sim_of(m)->no_tlbirange;
}

/* The operand decoded as the Arm ARM describes it, whatever the policy
 * meant: TG 0b01 (4 KiB), BaseADDR VA[48:12], (NUM + 1) << (5 * SCALE + 1)
 * pages; a TTL hint or another granule is a violation (the model would
 * have to guess what a CPU drops).  Queued until the DSB ISH, like VAE1IS. */
static inline void lazy_mmu__aarch64_sim_range(struct lazy_mmu_sim *s, uint64_t op, uint32_t sel)
{
    const unsigned scale = (unsigned)(op >> 44) & 3, num = (unsigned)(op >> 39) & 31;
    uint64_t pages = (uint64_t)(num + 1) << (5 * scale + 1), k;
    uintptr_t va = (uintptr_t)((op & (((uint64_t)1 << 37) - 1)) << 12);

    if (((op >> 46) & 3) != 1 || ((op >> 37) & 3) != 0) {
        lazy_mmu_sim_violation(s, "aarch64: TLBI range operand with another granule or a TTL hint");
        return;
    }
    s->n.tlbi_range++;
    for (k = 0; k < pages; k++, va += LAZY_MMU_PAGE_SIZE)
        lazy_mmu__sim_queue_inval_sel(s, va, sel);
}

static inline void lazy_mmu__aarch64_tlbi_rva(struct lazy_mmu *m, uint64_t op)
{
    lazy_mmu__aarch64_sim_range(lazy_mmu__sim_of(m), op, LAZY_MMU_SIM_SEL_ANY);
}

static inline void lazy_mmu__aarch64_tlbi_rva_asid(struct lazy_mmu *m, uint64_t op)
{
    lazy_mmu__aarch64_sim_range(lazy_mmu__sim_of(m), op, (uint32_t)(op >> 48));
}
static inline void lazy_mmu__aarch64_tlbi_rva_leaf(struct lazy_mmu *m, uint64_t op)
{
    lazy_mmu__sim_of(m)->n.tlbi_leaf++;
    lazy_mmu__aarch64_sim_range(lazy_mmu__sim_of(m), op,
                                LAZY_MMU_SIM_SEL_ANY | LAZY_MMU_SIM_SEL_LEAF);
}
static inline void lazy_mmu__aarch64_tlbi_rva_asid_leaf(struct lazy_mmu *m, uint64_t op)
{
    lazy_mmu__sim_of(m)->n.tlbi_leaf++;
    lazy_mmu__aarch64_sim_range(lazy_mmu__sim_of(m), op,
                                (uint32_t)(op >> 48) | LAZY_MMU_SIM_SEL_LEAF);
}
#endif

#if LAZY_MMU_STAGE2
static inline void lazy_mmu__aarch64_tlbi_ipa(struct lazy_mmu *m, uintptr_t ipa)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_ipa++;
    lazy_mmu__sim_queue_s2_inval(s, ipa);
}

static inline void lazy_mmu__aarch64_tlbi_s12_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_s12_all++;
    s->s12_all_pending = true;
}
#endif

#endif
