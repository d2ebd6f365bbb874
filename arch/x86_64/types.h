/* arch/x86_64/types.h - x86_64 backend: defaults and per-context fields.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_X86_64_TYPES_H
#define LAZY_MMU_X86_64_TYPES_H

/* Linux's tlb_single_page_flush_ceiling: past 33 INVLPGs a CR3 reload and the
 * refills it causes are cheaper. */
#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 33
#endif
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 32
#endif
/* Define to 1 if any entry changed through lazymmu may have G (bit 8) set and
 * you want full flushes to drop global entries even before one is seen. */
#ifndef LAZY_MMU_X86_GLOBAL_PAGES
#define LAZY_MMU_X86_GLOBAL_PAGES 0
#endif
/* Define to 1 on CPUs with INVPCID to flush everything with type 2 instead of
 * toggling CR4.PGE. */
#ifndef LAZY_MMU_X86_INVPCID
#define LAZY_MMU_X86_INVPCID 0
#endif

/* x86 never caches not-present entries and its walker sees the CPU's own
 * stores, so every write goes straight to memory: nothing is queued. */
#define LAZY_MMU_ARCH_QUEUES_WRITES 0
#define LAZY_MMU_ARCH_HAS_STATE 0

#define LAZY_MMU_X86_PTE_P ((lazy_mmu_pte_t)1 << 0)
#define LAZY_MMU_X86_PTE_G ((lazy_mmu_pte_t)1 << 8)

struct lazy_mmu_arch {
    /* A pending invalidation covers a global entry: a full flush must drop
     * global translations too (CR3 reload keeps them). */
    bool global;
};

static inline bool lazy_mmu_arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & LAZY_MMU_X86_PTE_P) != 0;
}

#endif
