/* arch/aarch64/policy.h - aarch64 backend: the generic layer's requests in
 * aarch64 instructions.
 * SPDX-License-Identifier: MIT
 *
 * Eagerly every update costs DSB ISHST (the walker sees the store), TLBI,
 * DSB ISH (the TLBI completed), ISB (this CPU's context synchronised).  A
 * section pays that once: one DSB ISHST before all the TLBIs, the TLBIs
 * without their DSBs, one DSB ISH, then the makes of break-before-make
 * (arch/generic/bbm.h) and another DSB ISHST, and one ISB; past the
 * threshold a single TLBI VMALLE1IS replaces the per-page TLBIs.  The TLBIs
 * are the inner-shareable forms: they reach every CPU.  In a named address
 * space (lazy_mmu_set_space) they are VAE1IS and ASIDE1IS: one ASID's.
 *
 * With LAZY_MMU_STAGE2 the tables are a guest's stage 2: the per-page TLBIs
 * are IPAS2E1IS, completed by a DSB ISH and followed by one VMALLE1IS for
 * the combined entries and another DSB ISH; past the threshold one
 * VMALLS12E1IS.  Only the invalidation steps differ.
 */
#ifndef LAZY_MMU_AARCH64_POLICY_H
#define LAZY_MMU_AARCH64_POLICY_H

/* From here, stores the walker sees (before the TLBIs, and after the makes). */
static inline void lazy_mmu__arch_order_stores(struct lazy_mmu *m)
{
    lazy_mmu__aarch64_dsb_ishst(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}

static inline void lazy_mmu__arch_inval_begin(struct lazy_mmu *m, bool all)
{
    (void)all;
    lazy_mmu__arch_order_stores(m);
}
#define lazy_mmu__arch_inval_begin lazy_mmu__arch_inval_begin

#if LAZY_MMU_STAGE2
/* A guest's stage 2 has no ASIDs (F_SPACES is 0): space is always ALL. */
static inline void lazy_mmu__arch_inval_page(struct lazy_mmu *m, uintptr_t ipa, uint32_t space)
{
    (void)space;
    lazy_mmu__aarch64_tlbi_ipa(m, ipa);
}

static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    (void)global;
    (void)space;
    lazy_mmu__aarch64_tlbi_s12_all(m);
}

/* The stage 2 entries gone on every PE, then - only once those are gone, or
 * a walk could refill a combined entry from one - the combined entries,
 * which are tagged by VA and so can only be dropped all together. */
static inline void lazy_mmu__arch_inval_end(struct lazy_mmu *m, bool all)
{
    lazy_mmu__aarch64_dsb_ish(m);
    LAZY_MMU__COUNT(m, barriers, 1);
    if (all)
        return;
    lazy_mmu__aarch64_tlbi_all(m);
    lazy_mmu__aarch64_dsb_ish(m);
    LAZY_MMU__COUNT(m, full_invals, 1);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#else
/* One ASID's entries by VAE1IS / ASIDE1IS, every ASID's by VAAE1IS /
 * VMALLE1IS (global entries are every ASID's: the generic layer names
 * LAZY_MMU_SPACE_ALL for them). */
static inline void lazy_mmu__arch_inval_page(struct lazy_mmu *m, uintptr_t va, uint32_t space)
{
    if (space == LAZY_MMU_SPACE_ALL)
        lazy_mmu__aarch64_tlbi_va(m, va);
    else
        lazy_mmu__aarch64_tlbi_va_asid(m, va, space);
}

/* Their last-level forms, VAALE1IS / VALE1IS, for a batch of leaf
 * changes: the walk caches keep the table entries above. */
static inline void lazy_mmu__arch_inval_page_leaf(struct lazy_mmu *m, uintptr_t va, uint32_t space)
{
    if (space == LAZY_MMU_SPACE_ALL)
        lazy_mmu__aarch64_tlbi_va_leaf(m, va);
    else
        lazy_mmu__aarch64_tlbi_va_asid_leaf(m, va, space);
}

static inline void lazy_mmu__arch_inval_all(struct lazy_mmu *m, bool global, uint32_t space)
{
    (void)global;
    if (space == LAZY_MMU_SPACE_ALL)
        lazy_mmu__aarch64_tlbi_all(m);
    else
        lazy_mmu__aarch64_tlbi_asid(m, space);
}

#if LAZY_MMU_AARCH64_TLBIRANGE
/* Without the instructions every range TLBI would be UNDEFINED: a loud
 * stop at init instead. */
static inline void lazy_mmu__aarch64_tlbirange_probe(struct lazy_mmu *m)
{
    if (!lazy_mmu__aarch64_has_tlbirange(m))
        LAZY_MMU_PANIC("lazy_mmu_init: LAZY_MMU_AARCH64_TLBIRANGE is set but this CPU has no "
                       "TLBI range instructions (ID_AA64ISAR0_EL1.TLB < 2)");
}

static inline void lazy_mmu__arch_init(struct lazy_mmu *m)
{
    lazy_mmu__aarch64_tlbirange_probe(m);
}
#define lazy_mmu__arch_init lazy_mmu__arch_init

/* The range operand [SYS]: ASID [63:48] (RVAE1IS only), TG [47:46] = 0b01
 * (4 KiB granule), SCALE [45:44], NUM [43:39], TTL [38:37] = 0 (any level),
 * BaseADDR [36:0] = VA[48:12]; it covers (NUM + 1) << (5 * SCALE + 1)
 * pages from BaseADDR. */
static inline uint64_t lazy_mmu__aarch64_range_op(uintptr_t va, unsigned scale, unsigned num,
                                              uint32_t space)
{
    uint64_t op = ((uint64_t)1 << 46) | ((uint64_t)scale << 44) | ((uint64_t)num << 39) |
                  (((uint64_t)va >> 12) & (((uint64_t)1 << 37) - 1));
    return space == LAZY_MMU_SPACE_ALL ? op : op | ((uint64_t)space << 48);
}

/* n pages from va: the largest whole chunks first - at most 32 of
 * 2 << (5 * scale) pages per instruction - then a single TLBI for an odd
 * last page (a range covers an even number).  511 pages: three
 * instructions, not 511.  leaf: the last-level forms. */
static inline void lazy_mmu__arch_inval_range(struct lazy_mmu *m, uintptr_t va, uint32_t n,
                                              uint32_t space, bool leaf)
{
    unsigned scale = 3;

    while (n > 1) {
        const uint32_t chunk = (uint32_t)2 << (5 * scale);
        uint32_t num = n / chunk;
        if (num == 0) {
            scale--; /* scale 0's chunk is 2 <= n */
            continue;
        }
        if (num > 32)
            num = 32;
        const uint64_t op = lazy_mmu__aarch64_range_op(va, scale, num - 1, space);
        if (space == LAZY_MMU_SPACE_ALL) {
            if (leaf)
                lazy_mmu__aarch64_tlbi_rva_leaf(m, op);
            else
                lazy_mmu__aarch64_tlbi_rva(m, op);
        } else if (leaf) {
            lazy_mmu__aarch64_tlbi_rva_asid_leaf(m, op);
        } else {
            lazy_mmu__aarch64_tlbi_rva_asid(m, op);
        }
        va += (uintptr_t)(num * chunk) << 12;
        n -= num * chunk;
    }
    if (n == 1 && leaf)
        lazy_mmu__arch_inval_page_leaf(m, va, space);
    else if (n == 1)
        lazy_mmu__arch_inval_page(m, va, space);
}
#define lazy_mmu__arch_inval_range lazy_mmu__arch_inval_range
#endif

/* Old translations gone on every PE. */
static inline void lazy_mmu__arch_inval_end(struct lazy_mmu *m, bool all)
{
    (void)all;
    lazy_mmu__aarch64_dsb_ish(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#endif
#define lazy_mmu__arch_inval_end lazy_mmu__arch_inval_end

static inline void lazy_mmu__arch_context_sync(struct lazy_mmu *m)
{
    lazy_mmu__aarch64_isb(m);
    LAZY_MMU__COUNT(m, barriers, 1);
}
#define lazy_mmu__arch_context_sync lazy_mmu__arch_context_sync

#endif
