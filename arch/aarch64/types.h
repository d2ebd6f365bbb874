/* arch/aarch64/types.h - aarch64 backend: defaults and per-context fields.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_AARCH64_TYPES_H
#define LAZY_MMU_AARCH64_TYPES_H

/* Linux's MAX_DVM_OPS: beyond 512 broadcast TLBIs one TLBI VMALLE1IS is
 * cheaper for every CPU in the inner-shareable domain.  Raised, note that a
 * run of remapped entries that spans three page-table pages (at least 514
 * entries) is invalidated whole all the same: a run only knows the pages
 * of its first and last entries (struct lazy_mmu_arch). */
#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 512
#endif
/* Also bounds the runs of broken entries waiting for their make. */
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 64
#endif
/* Output-address bits of a 4K-granule leaf entry (48-bit OA). */
#ifndef LAZY_MMU_AARCH64_OA_MASK
#define LAZY_MMU_AARCH64_OA_MASK ((lazy_mmu_pte_t)0x0000fffffffff000ull)
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

/* This backend implements LAZY_MMU_STAGE2. */
#define LAZY_MMU_ARCH_HAS_STAGE2 1

/* Entries are written when requested, never later: a remap's new value
 * goes into the page table at once, with the valid bit clear (see below),
 * so the generic write queue is not needed. */
#define LAZY_MMU_ARCH_QUEUES_WRITES 0
#define LAZY_MMU_ARCH_HAS_STATE 0

/* A valid entry replaced by one with another output address must be broken
 * first, and made only once the old translation is gone on every PE (ARM ARM
 * D8.16.1, "Using break-before-make").  The break stores the new value with
 * bit 0 clear: an invalid descriptor's other bits are ignored by the
 * hardware, so the page table itself keeps the value the make needs, and
 * the make is "set bit 0".  What the context remembers is which entries
 * wait for it, and so which pages their TLBIs are for: runs of consecutive
 * entries, each with the page its first entry maps, so a remap of a whole
 * table page costs one run, not 512 queued writes nor 512 recorded pages.
 * The entries of one aligned 4 KiB block of a leaf table map consecutive
 * pages (a leaf table is a whole granule, aligned to its size), so a run
 * inside one block knows all its pages from the first, and so does a run
 * across two blocks whose last entry's va agrees (anything else makes the
 * batch invalidate everything: lazy_mmu__a64_check_newest).  A run array that
 * is full publishes early, as the generic ranges[] do; a scattered remap
 * fills both at the same pace, which is why they share LAZY_MMU_BATCH_MAX. */
struct lazy_mmu_arch {
    unsigned nruns;
    /* The entry that extends the newest run inline, which is where that
     * run ends; NULL when there is none.  It may point one past a table
     * page: compared, or subtracted as an address, never dereferenced. */
    lazy_mmu_pte_t *next;
    /* The va given for the entry before next.  The inline join moves next
     * and this alone, so the newest run lags: its count, and the check that
     * this is the page its first entry's leads to (lazy_mmu__a64_sync). */
    uintptr_t last_va;
    /* Split arrays: {pointer, va, count} would pad to 24 bytes each.  A
     * count cannot overflow: 2^32 entries are 32 GiB of page tables.  Once
     * synced, run i's entry k maps run_va[i] + k pages - unless the batch
     * invalidates everything anyway, when no page matters. */
    lazy_mmu_pte_t *run_first[LAZY_MMU_BATCH_MAX];
    uintptr_t run_va[LAZY_MMU_BATCH_MAX];
    uint32_t run_count[LAZY_MMU_BATCH_MAX];
};

static inline bool lazy_mmu_arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & 1) != 0;
}

#endif
