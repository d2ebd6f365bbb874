/* arch/generic/tables.h - the calls for table pages, address spaces and
 * frames freed after the visibility point.  Part of the generic layer
 * (included by lazymmu.h after lazy_mmu_set_pte; no architecture named
 * here).
 * SPDX-License-Identifier: MIT */
#ifndef LAZY_MMU_GENERIC_TABLES_H
#define LAZY_MMU_GENERIC_TABLES_H

/* Table pages.  *ptep is the entry one level up that maps the region from
 * va (aligned to it): link a new table page where it was invalid (store the
 * table's own entries first - through m, or before it is reachable), or
 * unlink one whose entries m has cleared, then hand the table page to
 * lazy_mmu_free_frame: no CPU walks it after the visibility point.  Blocks
 * (huge pages) need no call of their own: lazy_mmu_set_pte on the entry,
 * with the block's first va, costs one invalidation for the whole block. */
static inline void lazy_mmu_link_table(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                       uintptr_t va)
{
    lazy_mmu__check_entry(m, ptep, va, "lazy_mmu_link_table");
    LAZY_MMU__CHECK(!lazy_mmu__arch_pte_valid(lazy_mmu__read(m, ptep)),
                    "lazy_mmu_link_table: the entry is valid (unlink or unmap what it maps first)");
    LAZY_MMU__COUNT(m, updates, 1);
    lazy_mmu__link(m, ptep, pte, va & ~LAZY_MMU__PAGE_MASK);
    lazy_mmu__settle(m);
}

static inline void lazy_mmu_unlink_table(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, uintptr_t va)
{
    lazy_mmu__check_entry(m, ptep, va, "lazy_mmu_unlink_table");
    LAZY_MMU__COUNT(m, updates, 1);
    lazy_mmu__unlink(m, ptep, va & ~LAZY_MMU__PAGE_MASK);
    lazy_mmu__settle(m);
}

/* Later changes belong to space; what is pending belongs to the old one and
 * is published first.  Always checked against LAZY_MMU_SPACE_MAX: an ASID
 * the instructions would truncate invalidates another process's
 * translations, silently (narrower CPUs: see LAZY_MMU_SPACE_MAX). */
static inline void lazy_mmu_set_space(struct lazy_mmu *m, uint32_t space)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_set_space");
    if (space > LAZY_MMU_SPACE_MAX && space < LAZY_MMU_SPACE_INACTIVE)
        LAZY_MMU_PANIC("lazy_mmu_set_space: not an ASID/PCID of this backend "
                       "(above LAZY_MMU_SPACE_MAX) nor a LAZY_MMU_SPACE_* value");
    if (space == m->space)
        return;
    lazy_mmu__publish(m);
    if (m->pending != 0)
        LAZY_MMU_PANIC("lazy_mmu_set_space: the previous space's batch could not be published");
    m->space = space;
}

#ifdef LAZY_MMU_FREE_FRAME
/* A frame (or page-table page) whose last mapping m changed: no CPU may
 * reach it before the visibility point that covers that change - and its
 * shootdown - has run, so it is released through LAZY_MMU_FREE_FRAME only
 * then, in the order handed over.  Outside a section that is at once. */
static inline void lazy_mmu_free_frame(struct lazy_mmu *m, uintptr_t frame)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_free_frame");
    if (m->nfrees == LAZY_MMU_FREE_MAX) {
        lazy_mmu__publish_early(m);
        if (m->nfrees == LAZY_MMU_FREE_MAX)
            LAZY_MMU_PANIC("lazy_mmu_free_frame: frames still held after a failed publish");
    }
    m->frees[m->nfrees++] = frame;
    m->pending |= LAZY_MMU__P_FREES;
    lazy_mmu__settle(m);
}
#endif

#endif
