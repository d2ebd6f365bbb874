/* arch/aarch64/types.h - aarch64 backend: defaults and per-context fields.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_AARCH64_TYPES_H
#define LAZY_MMU_AARCH64_TYPES_H

/* Linux's MAX_DVM_OPS: from 512 broadcast TLBIs on, one TLBI VMALLE1IS is
 * cheaper for every CPU in the inner-shareable domain - at most 511 per-page
 * TLBIs per visibility point: what a VMALLE1IS is worth. */
#define LAZY_MMU__AARCH64_DVM_OPS 511
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 64
#endif
#if !defined(LAZY_MMU_FLUSH_ALL_THRESHOLD) && !LAZY_MMU_AARCH64_TLBIRANGE
#define LAZY_MMU_FLUSH_ALL_THRESHOLD LAZY_MMU__AARCH64_DVM_OPS
#endif

/* Define to 1 in a hypervisor whose context manages one guest's stage 2
 * translation tables: entries are stage 2 descriptors (valid bit 0, output
 * address as above) and every va argument is an IPA.  A changed valid leaf
 * costs TLBI IPAS2E1IS (the stage 2 entries of that IPA) and, once that has
 * completed, TLBI VMALLE1IS: entries that combine stage 1 and stage 2 are
 * tagged by VA, not IPA, and IPAS2E1IS is not required to touch them.  A
 * section issues the IPAS2E1IS of all its pages, one DSB ISH, one
 * VMALLE1IS, one DSB ISH; past the threshold one TLBI VMALLS12E1IS (both
 * stages, the whole VMID) replaces them; break-before-make as in stage 1.
 * Every visibility point must run at EL2 with the guest's VMID in
 * VTTBR_EL2 (followed by an ISB), and, with HCR_EL2.E2H = 1, with
 * HCR_EL2.TGE = 0: these TLBIs act on the EL1&0 regime of the current VMID,
 * and with {E2H, TGE} = {1, 1} VMALLE1IS would hit the host's EL2&0 regime
 * instead (what Linux's __tlb_switch_to_guest sets up). */
#ifndef LAZY_MMU_STAGE2
#define LAZY_MMU_STAGE2 0
#endif

/* Define to 1 when every CPU implements FEAT_TLBIRANGE (Armv8.4;
 * ID_AA64ISAR0_EL1.TLB = 0b0010, which lazy_mmu_init checks): a pending run
 * of pages is invalidated by a few TLBI RVAAE1IS / RVAE1IS - one per
 * power-of-32 scale of its length, at most four and a TLBI for an odd page
 * - instead of one TLBI per page.  4 KiB granule, stage 1 only. */
#ifndef LAZY_MMU_AARCH64_TLBIRANGE
#define LAZY_MMU_AARCH64_TLBIRANGE 0
#endif
#if LAZY_MMU_AARCH64_TLBIRANGE && (LAZY_MMU_STAGE2 || LAZY_MMU_PAGE_SHIFT != 12)
#error "lazymmu: LAZY_MMU_AARCH64_TLBIRANGE is for stage 1 with 4 KiB pages"
#endif
/* With range TLBIs the cost is counted in instructions, not pages: a run of
 * up to 65535 pages (the most a pending range holds) takes at most four
 * (policy.h), so a whole batch takes at most 4 * LAZY_MMU_BATCH_MAX = 256 -
 * under the 511 a VMALLE1IS is worth (above), whatever its page count.  The
 * threshold in pages is then only the range's limit: 4096 contiguous pages
 * cost 1 RVAALE1IS, not a flush of every ASID on every CPU (Linux flushes by
 * range up to MAX_TLBI_RANGE_PAGES likewise). */
#if !defined(LAZY_MMU_FLUSH_ALL_THRESHOLD) && LAZY_MMU_AARCH64_TLBIRANGE
#if LAZY_MMU_BATCH_MAX * 4 > LAZY_MMU__AARCH64_DVM_OPS
#error                                                                                             \
    "lazymmu: with LAZY_MMU_AARCH64_TLBIRANGE a batch of more than 127 ranges could cost more TLBIs than one VMALLE1IS; define LAZY_MMU_FLUSH_ALL_THRESHOLD yourself"
#endif
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 65535
#endif

/* This backend implements LAZY_MMU_STAGE2. */
#define LAZY_MMU__ARCH_HAS_STAGE2 1

/* The facts (lazymmu.h): a page-table store reaches the walker only
 * through a DSB (ARM ARM D8.2.6, "Ordering of translation table walks"), and
 * a change of output address of a valid entry needs break-before-make
 * (D8.16.1); an invalid entry is never cached. */
#define LAZY_MMU__F_WALK_BARRIER 1
#define LAZY_MMU__F_BBM 1
/* The inner-shareable TLBIs reach every PE (D8.16 "Broadcast TLB
 * maintenance"): no shootdown round.  LAZY_MMU_AARCH64_NONSHAREABLE keeps
 * maintenance on this PE (the non-shareable forms), for mappings no other
 * PE uses - or for a kernel that sends its own round (LAZY_MMU_SHOOTDOWN). */
#ifndef LAZY_MMU_AARCH64_NONSHAREABLE
#define LAZY_MMU_AARCH64_NONSHAREABLE 0
#endif
#if LAZY_MMU_AARCH64_NONSHAREABLE && LAZY_MMU_STAGE2
#error "lazymmu: LAZY_MMU_AARCH64_NONSHAREABLE is for stage 1 (a guest's stage 2 is every PE's)"
#endif
#define LAZY_MMU__F_BROADCAST (!LAZY_MMU_AARCH64_NONSHAREABLE)
/* Stage 1 entries carry an ASID of up to 16 bits (TLBI VAE1IS, ASIDE1IS);
 * a guest's stage 2 has none. */
#define LAZY_MMU__F_SPACES (!LAZY_MMU_STAGE2)
/* Stage 1 TLBIs by VA have last-level forms (VAALE1IS, VALE1IS) that keep
 * the walk caches: a batch of leaf changes uses them. */
#define LAZY_MMU__F_LEAF_FORMS (!LAZY_MMU_STAGE2)
#define LAZY_MMU__ARCH_SPACE_MAX 0xffffu
#define LAZY_MMU__ARCH_PTE_VALID ((lazy_mmu_pte_t)1)
/* Output-address bits of a 4K-granule entry (48-bit OA: FEAT_LPA2's 52-bit
 * layout moves bits, so it is not a mask to configure). */
#define LAZY_MMU__ARCH_PTE_OA ((lazy_mmu_pte_t)0x0000fffffffff000ull)
#define LAZY_MMU__ARCH_HAS_STATE 0

struct lazy_mmu__arch {
    char unused; /* everything aarch64 defers lives in the generic batch */
};

static inline bool lazy_mmu__arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & 1) != 0;
}

#endif
